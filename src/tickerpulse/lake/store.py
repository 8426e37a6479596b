"""Lake I/O over fsspec: atomic writes, JSON lines, Parquet, CSV.

A local folder by default; ``gs://`` or ``s3://`` URLs work the same way
through gcsfs or s3fs. A crash never leaves a half-written file where a reader
would find it, by the means each kind of storage offers:

- a local folder: the bytes go to a hidden temporary name in the same folder,
  then a rename (atomic within one POSIX file system) puts them in place;
- an object store: there is no rename (gcsfs and s3fs "move" by copy and
  delete, two requests), but an object becomes visible only when its upload
  completes: the whole file is sent in one call (one PUT, or a resumable or
  multipart upload that the store publishes on its last request), so readers
  see the previous object or the new one, never a part. An upload cut off
  midway leaves nothing (tests/integration/test_cloud_gcs_lake.py shows it).
"""

from __future__ import annotations

import gzip
import io
import uuid
from collections.abc import Iterable, Iterator

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq


class Lake:
    """A lake rooted at an fsspec URL or local path."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, root = fsspec.core.url_to_fs(url)
        self.root = root.rstrip("/")
        self.is_local = "file" in _protocols(self.fs)
        if self.is_local:
            self.fs.makedirs(self.root, exist_ok=True)

    def full(self, path: str) -> str:
        """The file system path of a lake-relative path."""
        return f"{self.root}/{path}"

    def uri(self, path: str) -> str:
        """A URL readers outside fsspec (DuckDB, Spark) can open."""
        full = self.full(path)
        return full if self.is_local else f"{_protocols(self.fs)[0]}://{full}"

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists."""
        return bool(self.fs.exists(self.full(path)))

    def glob(self, pattern: str) -> list[str]:
        """Lake-relative paths matching ``pattern``, sorted."""
        prefix = len(self.root) + 1
        return sorted(p[prefix:] for p in self.fs.glob(self.full(pattern)))

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write a whole file atomically (see the module: rename locally, one upload remotely)."""
        full = self.full(path)
        parent, _, name = full.rpartition("/")
        if self.is_local:
            self.fs.makedirs(parent, exist_ok=True)
            tmp = f"{parent}/.{name}.tmp-{uuid.uuid4().hex}"
            with self.fs.open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
            self.fs.mv(tmp, full)
        else:
            # One call with all the bytes: no buffered file whose close() could publish
            # a part after an error midway.
            self.fs.pipe_file(full, data)

    def read_bytes(self, path: str) -> bytes:
        """Read a whole file."""
        with self.fs.open(self.full(path), "rb") as handle:
            data: bytes = handle.read()
        return data

    def write_jsonl_gz(self, path: str, lines: Iterable[bytes]) -> int:
        """Write JSON lines (already serialised) gzipped; returns the line count."""
        buffer = io.BytesIO()
        count = 0
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=5, mtime=0) as gz:
            for line in lines:
                gz.write(line)
                gz.write(b"\n")
                count += 1
        self.write_bytes(path, buffer.getvalue())
        return count

    def read_jsonl_gz(self, path: str) -> Iterator[bytes]:
        """Yield the raw lines of a gzipped JSON-lines file, without newlines."""
        data = gzip.decompress(self.read_bytes(path))
        for line in data.split(b"\n"):
            if line:
                yield line

    def write_parquet(self, path: str, table: pa.Table) -> None:
        """Write an Arrow table as Parquet (zstd)."""
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        self.write_bytes(path, sink.getvalue().to_pybytes())

    def read_parquet(self, path: str) -> pa.Table:
        """Read one Parquet file."""
        return pq.read_table(io.BytesIO(self.read_bytes(path)))

    def read_parquets(self, paths: Iterable[str], schema: pa.Schema) -> pa.Table:
        """Read and concatenate Parquet files; an empty table of ``schema`` when none."""
        tables = [self.read_parquet(p) for p in paths]
        if not tables:
            return schema.empty_table()
        return pa.concat_tables(tables, promote_options="permissive")

    def write_text(self, path: str, text: str) -> None:
        """Write a UTF-8 text file atomically."""
        self.write_bytes(path, text.encode("utf-8"))

    def remove(self, path: str) -> None:
        """Remove a file or folder if it exists."""
        if self.exists(path):
            self.fs.rm(self.full(path), recursive=True)


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)
