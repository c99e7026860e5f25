"""Atomic file writes: a temporary file in the same folder, then ``os.replace``; fresh folders.

A crash at any point leaves either the old file or the new one, never a
half-written file. The new file gets the usual permissions (``0o666`` less the
process umask), not ``mkstemp``'s private ``0o600``; a folder made by
:func:`fresh_dir` gets ``0o777`` less the umask, not ``mkdtemp``'s ``0o700``
(so a published report is ``0755``/``0644`` under the usual umask ``022``).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

__all__ = ["fresh_dir", "write_bytes", "write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def fresh_dir(parent: Path, prefix: str) -> Path:
    """Make a new, empty folder ``parent/<prefix><12 random hex digits>`` with the umask's permissions.

    Like :func:`tempfile.mkdtemp` (the name is unique, the folder is created
    exclusively) but with mode ``0o777`` less the umask instead of ``0o700``.
    """
    for _ in range(100):
        path = Path(parent) / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path)  # mode 0o777 & ~umask
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free folder name {prefix}* in {parent} after 100 tries")
