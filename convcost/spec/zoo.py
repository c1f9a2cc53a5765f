"""Zoo lookup: the specs shipped with convcost, and what a ``SPEC`` argument names.

A ``SPEC`` that is something on disk, or has a folder part, is that path; only a bare name that
is nowhere on disk is looked up among the shipped specs. It reads no YAML.
"""

from __future__ import annotations

import os
from pathlib import Path

from convcost.errors import ConvcostError
from convcost.spec.wording import suggest


def _zoo_dir() -> Path:
    """The shipped specs: ``configs/`` of the repository, package data ``convcost/configs``."""
    return Path(__file__).resolve().parent.parent / "configs"


def zoo_names() -> list[str]:
    """The names of the shipped specs, sorted."""
    return sorted(p.stem for p in _zoo_dir().glob("*.yaml"))


def resolve(spec: str) -> tuple[Path, str]:
    """The file a ``SPEC`` argument means, and how to show it in messages.

    A SPEC that names a path is that path, and reading it says what is wrong with it: it has
    a folder part (``configs/mobilenet_v1.yaml``, ``./x.yaml``), or something is there in
    any form (a file, a broken or looping symbolic link, a pipe, a folder). Only a bare name
    that is nowhere on disk (``mobilenet_v1``, ``mobilenet_v1.yaml``) is looked up among the
    shipped specs, from any folder. Never a guess: a path that is missing is an error, not
    the shipped spec of that name.
    """
    return find(spec, _zoo_dir(), "spec")


def find(spec: str, folder: Path, what: str) -> tuple[Path, str]:
    """:func:`resolve` for the YAML files shipped in ``folder`` (the zoo's specs, or
    ``configs/devices``), ``what`` naming one in messages (``spec``, ``device``)."""
    if not isinstance(spec, str):  # a library caller's None or bytes: say so, not TypeError
        raise ConvcostError(
            f"expected a path or the name of a shipped {what}, got {type(spec).__name__}",
            field=what,
        )
    path = Path(spec)
    if _on_disk(spec):
        return path, spec
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    known = (folder / f"{stem}.yaml").is_file()
    if _has_folder(spec):
        fix = f"; for the shipped {what} of that name, type {stem}" if known else ""
        raise ConvcostError(f"no such file{fix}", path=spec)
    if known:
        return folder / f"{stem}.yaml", f"{stem}.yaml"
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    raise ConvcostError(
        f"no such file, and no shipped {what} of that name"
        f"{suggest(stem, names)} (shipped: {', '.join(names)})",
        path=spec,
    )


def _on_disk(spec: str) -> bool:
    """Whether anything is at ``spec``, or the file system cannot say that nothing is.

    ``lstat``, not ``exists()``: a broken or looping link is something (load says which),
    and so is a name too long or behind a folder we may not search.
    """
    try:
        os.lstat(spec)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _has_folder(spec: str) -> bool:
    return os.sep in spec or (os.altsep is not None and os.altsep in spec)


def shipped(name: str) -> tuple[Path, str]:
    """The shipped spec ``name`` (as ``zoo_names`` lists it), whatever the current folder holds."""
    return _zoo_dir() / f"{name}.yaml", f"{name}.yaml"
