"""Imports go one way (STYLE.md, Layout): every module under convcost/ is placed in ALLOWED,
once, and may import at run time only the modules its entry names. Imports under
``if TYPE_CHECKING:`` are for annotations and are not checked; imports inside functions are."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "convcost"

# What each module may import of ours. "x.*" is the package x and every module in it; a module
# of a package without an entry of its own falls under its package's "x.*" entry. "__init__"
# is convcost itself (its __version__).
_LEAVES = {"formulas", "limits", "printable", "gcpause", "tables"}
_BELOW_SPEC = {"errors", "limits", "printable", "gcpause", "formulas", "conventions", "layers"}
ALLOWED: dict[str, set[str]] = {
    **{leaf: set() for leaf in _LEAVES},
    "__init__": set(),
    "__main__": {"cli"},  # `python -m convcost`, the one module that imports cli
    "errors": {"printable"},
    "conventions": {"formulas"},
    "layers": {"formulas", "conventions", "errors", "limits"},
    # The spec package, module by module: the language first, PyYAML only in yamltree.
    "spec.catalogue": set(),
    "spec.wording": set(),
    "spec.yamltree": {"errors", "limits"},
    "spec.validators": _BELOW_SPEC | {"spec.yamltree", "spec.catalogue", "spec.wording"},
    "spec.parser": _BELOW_SPEC
    | {"spec.validators", "spec.yamltree", "spec.catalogue", "spec.wording"},
    "spec.reader": _BELOW_SPEC
    | {"spec.parser", "spec.validators", "spec.yamltree", "spec.catalogue"},
    "spec.zoo": _BELOW_SPEC | {"spec.wording"},
    "spec.schema": _BELOW_SPEC | {"spec.catalogue"},
    "spec": _BELOW_SPEC | {"spec.catalogue", "spec.reader", "spec.schema", "spec.zoo"},
    "blocks": _BELOW_SPEC | {"spec"},
    # device profiles are read as specs are: the spec package's reader, YAML tree and lookup
    "devices": _BELOW_SPEC
    | {"spec", "spec.reader", "spec.validators", "spec.yamltree", "spec.wording", "spec.zoo"},
    # views fold and group a report's rows: computing, not rendering
    "views": {"formulas", "layers"},
    "network": _BELOW_SPEC | {"spec", "blocks", "tables", "views"},
    "analysis.*": _BELOW_SPEC
    | {"analysis.*", "spec", "blocks", "network", "tables", "views", "devices"},
    # --measure builds rows as PyTorch modules (torch imported inside functions only)
    "analysis.measure": _BELOW_SPEC | {"network", "tables", "analysis.memory"},
    # calibrate measures micro-benchmark networks and reads back the host profile it writes
    "analysis.calibrate": _BELOW_SPEC | {"analysis.*", "spec", "network", "tables", "devices"},
    # report renders tables: no analysis, no network at run time.
    "report.*": {"report.*", "conventions", "printable", "errors", "limits", "tables"},
    "cli": _BELOW_SPEC
    | _LEAVES
    | {"__init__", "spec", "blocks", "network", "views", "devices", "analysis.*", "report.*"},
}


def _name(path: Path) -> str:
    """convcost/spec/parser.py -> spec.parser; convcost/report/__init__.py -> report."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return name != "__init__" and MODULES[name].name == "__init__.py"


def _target(dotted: str) -> str | None:
    """``convcost.spec.parser`` -> ``spec.parser``, ``convcost`` -> ``__init__``; else None."""
    if dotted == "convcost":
        return "__init__"
    if dotted.startswith("convcost."):
        return dotted.removeprefix("convcost.")
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(name: str) -> list[tuple[int, str]]:
    """(line, module imported) for every import of ours that runs, at any depth."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    here = name.split(".") if _is_package(name) else name.split(".")[:-1]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _target(alias.name)
                if target is not None:
                    found.append((node.lineno, target))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = ["convcost", *here[: len(here) - node.level + 1]]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            target = _target(base)
            if target is not None:
                for alias in node.names:
                    sub = alias.name if target == "__init__" else f"{target}.{alias.name}"
                    found.append((node.lineno, sub if sub in MODULES else target))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _entry(name: str) -> str | None:
    if name in ALLOWED:
        return name
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) + ".*" in ALLOWED:
            return ".".join(parts[:i]) + ".*"
    return None


def _allowed(target: str, allowed: set[str]) -> bool:
    return any(
        target == a or (a.endswith(".*") and (target == a[:-2] or target.startswith(a[:-1])))
        for a in allowed
    )


def test_every_module_is_placed() -> None:
    unplaced = [name for name in MODULES if _entry(name) is None]
    assert not unplaced, f"place these modules in tests/test_layering.py ALLOWED: {unplaced}"
    used = {_entry(name) for name in MODULES}
    assert set(ALLOWED) == used, f"entries for no module: {set(ALLOWED) - used}"


def test_imports_go_one_way() -> None:
    wrong = [
        f"convcost/{MODULES[name].relative_to(PACKAGE)}:{line} imports {target}"
        for name in MODULES
        for line, target in _runtime_imports(name)
        if not _allowed(target, ALLOWED[_entry(name) or name])
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_but_the_entry_point_imports_cli() -> None:
    importers = {
        name for name in MODULES for _, target in _runtime_imports(name) if target == "cli"
    }
    assert importers == {"__main__"}


def test_the_check_sees_lazy_imports_and_skips_type_checking_ones() -> None:
    """cli imports the loader inside a command; report names network only for annotations."""
    assert "spec" in {t for _, t in _runtime_imports("cli")}
    assert "network" not in {t for _, t in _runtime_imports("report._text")}
    text = MODULES["report._text"].read_text(encoding="utf-8")
    assert "from convcost.network import Report" in text  # under TYPE_CHECKING


def test_only_the_hardened_yaml_module_imports_pyyaml() -> None:
    importers = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "yaml" for a in node.names
            ):
                importers.add(name)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "yaml":
                importers.add(name)
    assert importers == {"spec.yamltree"}
