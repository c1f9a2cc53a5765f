"""JSON for scripts: one object, raw integers, the keys of PRODUCT.md's contract.

Keys may be added, never renamed. Symbolic counts (``convcost layer`` without H and W) are
strings in sympy's spelling, e.g. ``"589824*H*W"``; exact fractions are strings
(``"265/2304"``) with a float beside them. Strings are the exact originals; characters that
``str.isprintable`` rejects are ``\\u`` escapes (:func:`_printable`), other text as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from convcost.conventions import EXACT, Convention
from convcost.report import _text
from convcost.tables import Audience, Kind, Table

if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report


def _printable(text: str) -> str:
    """JSON text with every unprintable character as a ``\\uXXXX`` escape.

    ``ensure_ascii=False`` keeps names readable ("层一") but lets through what JSON allows raw
    and a terminal or a line-based tool acts on: U+2028/U+2029 and U+0085 (lines for
    ``str.splitlines`` and older JavaScript), U+202E (reorders the line on screen), DEL, and
    lone surrogates (which cannot even be written as UTF-8). Outside strings json.dumps
    writes only ASCII, and inside them it escapes ``\\n``, so a raw newline is a line end.
    """
    if text.isprintable() or text.replace("\n", "").isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == "\n" else json.dumps(ch, ensure_ascii=True)[1:-1]
        for ch in text
    )


def _dumps(obj: object, *, indent: int | None = None) -> str:
    return _printable(json.dumps(obj, indent=indent, ensure_ascii=False))


def _dump(obj: object) -> str:
    return _dumps(obj, indent=2) + "\n"


def _dump_rows(obj: dict[str, Any], rows: str, items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Like ``_dump``, but the list under ``rows`` has one compact object per line, and the
    text comes a line at a time.

    A 100,000-layer network stays readable with ``grep`` and ``jq``, and is written as it is
    made instead of as one nested structure and one string (benchmarks/bench_scale.py).
    """
    yield "{"
    for index, (key, value) in enumerate(obj.items()):
        yield ",\n" if index else "\n"
        yield f"  {json.dumps(key)}: "
        if key != rows:
            yield _dumps(value, indent=2).replace("\n", "\n  ")
            continue
        yield "["
        count = 0
        for count, item in enumerate(items, start=1):
            yield f"{',' if count > 1 else ''}\n    {_dumps(item)}"
        yield "\n  ]" if count else "]"
    yield "\n}\n"


def _shape(value: Sequence[Any]) -> list[int | str]:
    """``[112, 112, 32]``; a symbolic side as sympy's string (``"H"``)."""
    return [v if v.__class__ is int else str(v) for v in value]


def _pair(value: Sequence[int] | str | None) -> list[int] | str | None:
    return value if value is None or isinstance(value, str) else list(value)


def _fraction(value: Any) -> dict[str, Any]:
    """``{"exact": "265/2304", "decimal": 0.115...}``; a symbolic ratio has no decimal."""
    if isinstance(value, Fraction):
        return {"exact": str(value), "decimal": float(value)}
    return {"exact": str(value), "decimal": None}


def _count(value: Any) -> Any:
    """An exact count as JSON holds it: the int, sympy's string, or null (no groups)."""
    return value if value is None or value.__class__ is int else str(value)


# A raw value as JSON holds it: ints, lists for shapes and pairs, floats for shares.
_JSON: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: str,
    Kind.COUNT: _count,
    Kind.NUMBER: _count,
    Kind.BYTES: _count,
    Kind.SHARE: float,
    Kind.RATIO: _fraction,
    Kind.RATE: lambda value: None if value is None else _fraction(value),
    Kind.SECONDS: float,
    Kind.SHAPE: _shape,
    Kind.PAIR: _pair,
    Kind.BAR: float,  # a bar is drawn by the terminal alone; a machine reads its share
}


def _items(table: Table) -> Iterator[dict[str, Any]]:
    """A table's rows as objects keyed by column (JSON keeps no totals row: see "totals")."""
    keys = [c.key for c in table.shown(Audience.JSON)]
    return (dict(zip(keys, values, strict=True)) for values in table.written(Audience.JSON, _JSON))


def _record(table: Table) -> dict[str, Any]:
    (item,) = _items(table)
    return item


def _totals(report: Report) -> dict[str, Any]:
    return _record(report.totals_table())


def _network(report: Report, terms: bool) -> dict[str, Any]:
    described = {
        "network": report.network,
        "source": report.source,
        "convention": report.convention.describe(),
        "input": _shape(report.input),
        "output": _shape(report.output),
        "alpha": None if report.alpha is None else float(report.alpha),
        "resolution": None if report.resolution is None else list(report.resolution),
        "layers": None,  # filled row by row by network()
        "totals": _totals(report),
        "by_type": list(_items(report.by_type_table())),
    }
    if not report.declared_checked:  # --alpha or --resolution changed the declared shapes
        described["declared_outputs_checked"] = False
    if terms:
        described["terms"] = list(_items(report.terms_table()))
    return described


def network(report: Report, *, by_type: bool = False, terms: bool = False) -> str:
    """The whole report; ``by_type`` changes nothing here, JSON always carries both views;
    ``terms`` adds the cost terms under "terms"."""
    return "".join(network_chunks(report, by_type=by_type, terms=terms))


def network_chunks(
    report: Report,
    *,
    by_type: bool = False,
    terms: bool = False,
    tables: Sequence[Table] = (),
) -> Iterator[str]:
    """:func:`network` a piece at a time, one layer per line, for writing as it is made;
    each of ``tables`` (``net --as``: the units rewritten) under its key."""
    described = _network(report, terms)
    for table in tables:
        described[table.key] = list(_items(table))
    return _dump_rows(described, "layers", _items(report.layer_table()))


def comparison(c: Comparison) -> str:
    """``{"layers": [...one per kind...], "ratio": {...}, "convention": {...}}``."""
    kh, kw = c.kernel
    ratio: dict[str, Any] = _fraction(c.macs_ratio)
    ratio["of"] = "separable / standard MACs"
    ratio["params"] = _fraction(c.params_ratio)
    ratio["approximation"] = {"formula": f"1/{kh * kw} + 1/{c.cout}"} | _fraction(c.approximation)
    return _dump(
        {
            "layers": list(_items(c.kinds_table())),
            "ratio": ratio,
            "layer": {
                "input": _shape(c.input),
                "cout": _text.raw(c.cout),
                "kernel": list(c.kernel),
                "stride": list(c.stride),
                "padding": _pair(c.padding),
                "dilation": list(c.dilation),
                "groups": c.groups,
                "bias": c.bias,
            },
            "convention": c.convention.describe(),
        }
    )


def zoo(reports: Sequence[Report]) -> str:
    """``{"specs": [{"network", "input", "totals", "source"}, ...]}``."""
    return _dump(
        {
            "specs": [
                {
                    "network": r.network,
                    "input": _shape(r.input),
                    "totals": _totals(r),
                    "source": r.source,
                }
                for r in reports
            ]
        }
    )


def table(
    data: Table,
    notes: Sequence[str] = (),
    convention: Convention = EXACT,
    *,
    more: Sequence[Table] = (),
) -> str:
    """``{"title": ..., <key>: [...one object per row...], "notes": [...], "convention":
    {...}}``; each of ``more`` under its own key, a record as one object (``net --memory``:
    the totals)."""
    described: dict[str, Any] = {"title": data.title, data.key: list(_items(data))}
    for other in more:
        described[other.key] = _record(other) if other.record else list(_items(other))
    return _dump(described | {"notes": list(notes), "convention": convention.describe()})
