"""The tagger built once per universe and kept on disk, so a command line starts fast.

The file ``tagger-<key>.bin`` in the cache folder (``Settings.cache_dir``) holds the
built :class:`~tickerpulse.enrich.tagger.Tagger` (its Aho-Corasick automaton and
symbol index). The key hashes everything the build depends on: the universe's
assets, the word list, the tagger's own source, the pyahocorasick and Python
versions. A file is used only when its header names that key and its body has the
SHA-256 digest the header records; a stale, truncated or damaged file is rebuilt
and replaced, never read blindly. A cache that cannot be written (a read-only
folder) costs only the build, on every run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

import ahocorasick

from tickerpulse.enrich import tagger as tagger_module
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import Universe
from tickerpulse.universe.loader import WORD_NAMES

FORMAT = b"tickerpulse-tagger-cache 1\n"
_DIGEST_BYTES = 32
_log = logging.getLogger(__name__)


def universe_key(universe: Universe) -> str:
    """Hex SHA-256 of what a built tagger depends on (see the module docstring)."""
    digest = hashlib.sha256(FORMAT)
    for part in (
        Tagger.version,
        getattr(ahocorasick, "__version__", "?"),
        sys.version,
    ):
        digest.update(part.encode() + b"\0")
    digest.update(Path(tagger_module.__file__).read_bytes())
    digest.update(WORD_NAMES.read_bytes())
    for asset in universe:
        fields = (asset.asset_id, asset.symbol, str(asset.asset_class), asset.name,
                  "|".join(asset.aliases), str(asset.ambiguous))  # fmt: skip
        digest.update("\x1f".join(fields).encode() + b"\x1e")
    return digest.hexdigest()


def cached_tagger(universe: Universe, folder: Path) -> Tagger:
    """The tagger of ``universe``: read from ``folder`` when a sound file is there, else built.

    A build replaces the folder's other tagger files (earlier universes or versions).
    """
    key = universe_key(universe)
    path = folder / f"tagger-{key[:24]}.bin"
    tagger = _read(path, key)
    if tagger is None:
        tagger = Tagger(universe)
        _write(folder, path, key, tagger)
    return tagger


def _read(path: Path, key: str) -> Tagger | None:
    """The tagger in ``path`` if its header and digest check out; None otherwise."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = FORMAT + key.encode() + b"\n"
    if not data.startswith(header):
        _log.info("tagger cache %s is stale or damaged: rebuilding", path)
        return None
    digest = data[len(header) : len(header) + _DIGEST_BYTES]
    body = data[len(header) + _DIGEST_BYTES :]
    if hashlib.sha256(body).digest() != digest:
        _log.info("tagger cache %s is damaged: rebuilding", path)
        return None
    try:
        tagger = pickle.loads(body)
    except Exception:  # a digest that matches a body we did not write: rebuild
        _log.info("tagger cache %s does not load: rebuilding", path)
        return None
    return tagger if isinstance(tagger, Tagger) else None


def _write(folder: Path, path: Path, key: str, tagger: Tagger) -> None:
    """Write atomically (a reader never sees half a file); failing to write is not an error."""
    body = pickle.dumps(tagger, protocol=pickle.HIGHEST_PROTOCOL)
    data = FORMAT + key.encode() + b"\n" + hashlib.sha256(body).digest() + body
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tagger-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for other in folder.glob("tagger-*.bin"):
            if other != path:
                other.unlink(missing_ok=True)
    except OSError as exc:
        _log.info("tagger cache not written to %s: %s", folder, exc)
