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

A gzipped file that was damaged anyway (cut short in a copy, a bad disk block)
is read as far as it decodes: its whole lines are kept and the damage is
reported, not raised, when the reader asks.
"""

from __future__ import annotations

import gzip
import io
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from tickerpulse.extras import require

_CHUNK = 1 << 16


@dataclass(frozen=True)
class DamagedFile:
    """A gzipped JSON-lines file that did not decode to its end."""

    path: str
    error: str
    lines_kept: int
    """Whole lines read before the damage."""
    tail: bytes
    """The part of a line that decoded but was cut off by the damage."""


class DamagedLakeFile(ValueError):
    """A strict read met a damaged file."""


OBJECT_STORE_SCHEMES = ("gs://", "gcs://", "s3://", "s3a://")
"""Lake URLs on an object store: they need the ``cloud`` extra (gcsfs, s3fs)."""


class Lake:
    """A lake rooted at an fsspec URL or local path."""

    def __init__(self, url: str) -> None:
        if url.startswith(OBJECT_STORE_SCHEMES):
            require("cloud")
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

    def read_jsonl_gz(
        self, path: str, *, on_damage: Callable[[DamagedFile], None] | None = None
    ) -> Iterator[bytes]:
        """Yield the raw lines of a gzipped JSON-lines file, without newlines.

        A damaged file yields the whole lines before the damage, then hands
        ``on_damage`` what happened (or raises :class:`DamagedLakeFile` without one).
        """
        data, error = gunzip_salvaging(self.read_bytes(path))
        lines = data.split(b"\n")
        tail = lines.pop() if error else b""  # every written line ends in a newline
        kept = 0
        for line in lines:
            if line:
                kept += 1
                yield line
        if error is None:
            return
        if on_damage is None:
            raise DamagedLakeFile(f"{path}: {error}")
        on_damage(DamagedFile(path, error, kept, tail))

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


def gunzip_salvaging(data: bytes) -> tuple[bytes, str | None]:
    """Everything that decodes from gzip ``data`` (members in turn), and the error if any."""
    out = bytearray()
    rest = data
    while rest.strip(b"\0"):  # gzip readers ignore zero padding after the last member
        member = zlib.decompressobj(wbits=31)
        fed = 0
        try:
            while not member.eof and fed < len(rest):
                out += member.decompress(rest[fed : fed + _CHUNK])
                fed += _CHUNK
        except zlib.error as exc:
            return bytes(out), f"corrupt gzip data: {exc}"
        if not member.eof:
            return bytes(out), "truncated gzip file"
        rest = member.unused_data + rest[fed:]
    return bytes(out), None


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)
