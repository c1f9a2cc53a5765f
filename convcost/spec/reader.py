"""I/O: a spec from a path, an open stream or a text, read within the limits and parsed.

Files are read whole, at most ``MAX_FILE_BYTES``, and only when they are regular files (a
named pipe or a device is refused, never waited on); the bytes must be UTF-8. The text goes to
the hardened YAML composer (``spec.yamltree``) and its tree to the parser (``spec.parser``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from convcost.errors import ConvcostError
from convcost.gcpause import paused_gc
from convcost.limits import MAX_FILE_BYTES
from convcost.spec import validators as V
from convcost.spec import yamltree as Y
from convcost.spec.catalogue import Spec
from convcost.spec.parser import convert


def _read_bounded(file: BinaryIO, shown: str) -> bytes:
    """At most MAX_FILE_BYTES; one byte more means too large (st_size lies for /dev/zero)."""
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConvcostError(
            f"is larger than {MAX_FILE_BYTES:,} bytes, too large for a spec", path=shown
        )
    return data


def _read(path: Path, shown: str) -> str:
    """The text of the regular file at ``path``; anything else is refused, never waited on.

    A named pipe or a device is not a spec file (a FIFO waits for a writer, /dev/tty for a
    person); streams are what ``convcost net -`` is for.
    """
    try:
        _refuse_special(os.stat(path), shown)
        # O_NONBLOCK: should a FIFO take the file's place after the stat, open returns at once
        # and the fstat below refuses it, where a plain open would wait for a writer forever.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        with open(os.open(path, flags), "rb") as file:
            _refuse_special(os.fstat(file.fileno()), shown)
            data = _read_bounded(file, shown)
    except OSError as error:
        raise _unreadable(error, path, shown) from None
    return _decode(data, shown)


def _refuse_special(status: os.stat_result, shown: str) -> None:
    """Raise unless ``status`` is a regular file's."""
    import stat

    if stat.S_ISREG(status.st_mode):
        return
    if stat.S_ISDIR(status.st_mode):
        raise ConvcostError("is a directory, not a spec file", path=shown)
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    kind = next((name for test, name in kinds.items() if test(status.st_mode)), "a special file")
    raise ConvcostError(
        f"is {kind}, not a spec file; read a stream with 'convcost net -'",
        path=shown,
    )


def _unreadable(error: OSError, path: Path, shown: str) -> ConvcostError:
    """One line for an OS error met while opening or reading ``path``."""
    import errno

    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        try:
            target = f" to {os.readlink(path)!r}"
        except OSError:
            target = ""
        message = f"is a broken symbolic link{target}"
    elif isinstance(error, FileNotFoundError):
        message = "no such file"
    elif error.errno == errno.ELOOP and os.path.islink(path):  # a -> b -> a
        message = "is a symbolic link loop (too many levels of symbolic links)"
    elif error.errno == errno.ELOOP:  # a folder on the way loops
        message = "too many levels of symbolic links"
    elif isinstance(error, PermissionError):
        message = "permission denied"
    elif error.errno == errno.ENAMETOOLONG:
        message = "file name too long"
    elif isinstance(error, IsADirectoryError):
        message = "is a directory, not a spec file"
    else:
        message = f"cannot read: {error.strerror or error}"
    return ConvcostError(message, path=shown)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConvcostError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x})", path=shown, line=line
        ) from None


def read_text(path: str | os.PathLike[str], shown: str) -> str:
    """The UTF-8 text of the regular file at ``path``, read as specs are (bounded, never
    waiting on a pipe); device profiles (``convcost.devices``) are read through it too."""
    return _read(Path(path), shown)


def load(path: str | os.PathLike[str], *, shown: str | None = None) -> Spec:
    """Read and validate the spec at ``path``; ``shown`` is the path used in messages."""
    shown = shown if shown is not None else str(path)
    text = _read(Path(path), shown)
    default_name = Path(path).name.removesuffix(".yaml").removesuffix(".yml")
    # A file name that is not UTF-8 (b'\xff.yaml') arrives with surrogates, which no UTF-8
    # report can hold: the name of the network shows U+FFFD in their place.
    default_name = os.fsencode(default_name).decode("utf-8", "replace")
    return loads(text, path=shown, default_name=default_name)


def load_stream(file: BinaryIO, *, shown: str = "<stdin>") -> Spec:
    """Read and validate a spec from an open binary stream (``convcost net -`` reads stdin)."""
    if not callable(getattr(file, "read", None)):
        raise ConvcostError(
            f"expected an open binary stream, got {type(file).__name__}", field="file"
        )
    try:
        data = _read_bounded(file, shown)
    except OSError as error:
        raise ConvcostError(f"cannot read: {error.strerror or error}", path=shown) from None
    if not isinstance(data, bytes):
        raise ConvcostError(
            "expected a binary stream (open(path, 'rb'), sys.stdin.buffer), got one that reads "
            f"{type(data).__name__}",
            field="file",
        )
    return loads(_decode(data, shown), path=shown, default_name="stdin")


def loads(text: str, *, path: str | None = None, default_name: str = "network") -> Spec:
    """Validate a spec given as YAML text; ``path`` names it in error messages."""
    given: object = text  # from a caller without a type checker, anything
    if not isinstance(given, str):
        hint = " (decode bytes first, or use load_stream)" if isinstance(given, bytes) else ""
        raise ConvcostError(
            f"expected the YAML text, got {type(given).__name__}{hint}", field="text"
        )
    ctx = V.Context(path)
    if "\x00" in text:
        raise ctx.error(
            "not a YAML text (contains NUL bytes)", line=text[: text.index("\x00")].count("\n") + 1
        )
    try:
        with paused_gc():
            root = Y.compose(text)
    except ConvcostError as error:
        raise error.located(path=path) from None
    if root is None:
        raise ConvcostError("empty file; a spec needs 'input' and 'layers'", path=path)
    try:
        return convert(root, ctx, default_name)
    except ConvcostError as error:
        raise error.located(path=path) from None
