"""Publishing outputs without ever losing or clobbering a file.

The rules, the way careful tools (git, rsync, zarr's own writers) follow them:

* An output is written into a private staging directory created by :func:`tempfile.mkdtemp`
  (mode 0700, an unpredictable name) beside the output, so that nobody else can plant a
  symlink where it is written, and the final rename stays on one file system.
* It is flushed to disk, then moved into place in one atomic step: :func:`os.replace` for a
  file; for a directory store (``.zarr``) ``renameat2(RENAME_EXCHANGE)`` on Linux swaps the new
  store with the old one, so that the path always holds a complete store. Where the OS cannot
  swap, the old store is first renamed aside under a name the error message gives.
* Nothing is deleted that this module did not create: an existing output is replaced only when
  the caller allows it and only if it is what it looks like (a file for a file output, a Zarr
  store for a store output); the old store is removed only after the new one is in place.
* Ctrl-C (SIGINT) waits while a staging directory is made or removed and while the output
  moves into place (:func:`critical`); staging directories an interrupt leaves are removed by
  :func:`remove_staging`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PublishError",
    "Staging",
    "check_output",
    "critical",
    "install_interrupt_handler",
    "publish",
    "remove_staging",
    "staged",
]

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray", ".zattrs")


class PublishError(OSError):
    """An output that cannot be written safely (reported as one line by the CLI)."""


def _fail(message: str) -> PublishError:
    return PublishError(message)


def _is_within(inner: str, outer: str) -> bool:
    return inner != outer and os.path.commonpath([inner, outer]) == outer


def is_zarr_store(path: Path) -> bool:
    """A real directory (not a symlink) holding Zarr metadata at its top."""
    return (
        path.is_dir() and not path.is_symlink() and any((path / m).exists() for m in _ZARR_MARKERS)
    )


def check_output(
    output: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]],
    *,
    overwrite: bool,
    store: bool,
    role: str = "output",
) -> Path:
    """Check, before any work, that ``output`` can be published; return its absolute path.

    Refused: a missing or unwritable directory, an existing output without ``overwrite``, a
    directory where a file is named, an existing ``store`` output that is not a Zarr store, and
    an output that is, contains or sits inside one of ``inputs``.
    """
    path = Path(os.path.abspath(output))
    shown = str(output)
    parent = path.parent
    if not parent.exists():
        msg = f"the directory of {role} {shown!r} does not exist: {str(parent)!r}"
        raise _fail(msg)
    if not parent.is_dir():
        msg = f"the directory of {role} {shown!r} is not a directory: {str(parent)!r}"
        raise _fail(msg)
    if not os.access(parent, os.W_OK | os.X_OK):
        msg = f"the directory of {role} {shown!r} is not writable: {str(parent)!r}"
        raise _fail(msg)
    real = os.path.realpath(path)
    for src in inputs:
        src_real = os.path.realpath(src)
        same = real == src_real or (
            os.path.exists(path) and os.path.exists(src) and os.path.samefile(path, src)
        )
        if same:
            msg = f"the {role} must not be the input file ({shown!r} is {str(src)!r})"
            raise _fail(msg)
        if _is_within(real, src_real):
            msg = f"the {role} {shown!r} must not be inside the input {str(src)!r}"
            raise _fail(msg)
        if _is_within(src_real, real):
            msg = f"the {role} {shown!r} must not contain the input {str(src)!r}"
            raise _fail(msg)
    if os.path.lexists(path):
        if not overwrite:
            msg = f"{role} {shown!r} exists; pass --overwrite to replace it"
            raise _fail(msg)
        if store:
            if not is_zarr_store(path):
                kind = "a symlink" if path.is_symlink() else "not a Zarr store"
                msg = f"{role} {shown!r} exists and is {kind}; refusing to replace it"
                raise _fail(msg)
        elif path.is_dir():
            msg = f"{role} {shown!r} is a directory; name a file (a directory is never replaced)"
            raise _fail(msg)
    return path


_depth = 0  # > 0 inside a critical section: Ctrl-C waits for its end
_pending = False  # a Ctrl-C arrived inside a critical section
_LIVE: dict[Path, None] = {}  # staging directories not yet removed


def _on_interrupt(signum: int, frame: Any) -> None:
    global _pending
    if _depth:
        _pending = True
        return
    raise KeyboardInterrupt


def in_main_thread() -> bool:
    """Signal handlers can be set from the main thread only."""
    return threading.current_thread() is threading.main_thread()


def install_interrupt_handler() -> None:
    """Make Ctrl-C wait for the end of a critical section (main thread only: the CLI)."""
    if in_main_thread():
        signal.signal(signal.SIGINT, _on_interrupt)


@contextlib.contextmanager
def critical(deliver: bool = True) -> Iterator[None]:
    """A section that a Ctrl-C does not cut: it is delivered at the end (if ``deliver``)."""
    global _depth, _pending
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending:
            _pending = False
            if deliver:
                raise KeyboardInterrupt


@dataclass
class Staging:
    """A private directory beside ``target``; the output is written to :attr:`path`."""

    target: Path
    dir: Path
    path: Path

    def cleanup(self) -> None:
        """Remove the staging directory (ours: what was written there, or the old store
        after a swap)."""
        with critical():
            shutil.rmtree(self.dir, ignore_errors=True)
            _LIVE.pop(self.dir, None)


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Staging]:
    """A :class:`Staging` beside ``target``, removed on exit. A staging directory left by an
    interrupt that cut this short is removed by :func:`remove_staging`."""
    with critical():
        d = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".gridgrad", dir=target.parent))
        _LIVE[d] = None
    staging = Staging(target, d, d / target.name)
    try:
        yield staging
    finally:
        staging.cleanup()


def remove_staging() -> None:
    """Remove every staging directory still there (after an interrupt); no Ctrl-C delivered."""
    with critical(deliver=False):
        for d in list(_LIVE):
            shutil.rmtree(d, ignore_errors=True)
            _LIVE.pop(d, None)


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; False where the OS or file system cannot do it."""
    libc = _libc()
    func = getattr(libc, "renameat2", None) if libc is not None else None
    if func is None:
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    rc = func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(dst))


def _sync(path: Path) -> None:
    """Flush ``path`` (a file, or a whole directory store) and its directory to disk."""
    if path.is_dir():
        libc = _libc()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            syncfs = getattr(libc, "syncfs", None) if libc is not None else None
            if syncfs is None or syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)
    else:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _sync_dir(path.parent)


def _sync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _move_file(src: Path, dst: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(src, dst)  # atomic; replaces a symlink itself, never what it points to
    elif not _renameat2(src, dst, _RENAME_NOREPLACE):
        os.link(src, dst)  # fails if dst appeared meanwhile
        os.unlink(src)


def _move_store(staging: Staging, overwrite: bool) -> None:
    new, target = staging.path, staging.target
    if not os.path.lexists(target):
        if not _renameat2(new, target, _RENAME_NOREPLACE):
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, "appeared while computing", str(target))
            os.rename(new, target)
        return
    if not overwrite or not is_zarr_store(target):
        msg = f"output {str(target)!r} changed while computing; left as it was"
        raise _fail(msg)
    if _renameat2(new, target, _RENAME_EXCHANGE):
        return  # the old store is now at staging.path, removed with the staging directory
    # No atomic swap here: move the old store aside (onto an empty directory of ours, which
    # rename replaces atomically), then the new one into place.
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except OSError as exc:
        msg = f"could not move the new output into place ({exc}); the previous output is kept at {str(aside)!r}"
        raise _fail(msg) from exc
    shutil.rmtree(aside, ignore_errors=True)


def publish(staging: Staging, *, overwrite: bool) -> None:
    """Flush the staged output and move it to ``staging.target`` atomically."""
    _sync(staging.path)
    with critical():
        if staging.path.is_dir():
            _move_store(staging, overwrite)
        else:
            _move_file(staging.path, staging.target, overwrite)
        _sync_dir(staging.target.parent)
    staging.cleanup()
