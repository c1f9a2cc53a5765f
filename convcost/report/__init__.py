"""Renderers: report -> text, one module per format, chosen by one exhaustive dispatch.

Each format module provides ``network(report, *, by_type)``, ``comparison(comparison)`` and
``zoo(reports)``, all pure functions returning the whole text (ending in a newline). Numbers
become strings only here (``_text``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, NoReturn

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # pragma: no cover

    def assert_never(value: NoReturn) -> NoReturn:
        raise AssertionError(f"unhandled value: {value!r}")


if TYPE_CHECKING:
    from convcost.analysis.separable import Comparison
    from convcost.network import Report


class Format(str, Enum):
    """The output formats of every report command (``--format``)."""

    TABLE = "table"
    CSV = "csv"
    MARKDOWN = "markdown"
    JSON = "json"
    LATEX = "latex"


@dataclass(frozen=True, slots=True)
class Renderer:
    """The renderers of one format; ``network_chunks`` yields ``network``'s text in pieces."""

    network: Callable[..., str]
    comparison: Callable[[Comparison], str]
    zoo: Callable[[Sequence[Report]], str]
    network_chunks: Callable[..., Iterable[str]]


def renderer(fmt: Format) -> Renderer:
    """The renderers for ``fmt``; modules are imported on demand (rich only for tables)."""
    match fmt:
        case Format.TABLE:
            from convcost.report import table as module
        case Format.CSV:
            from convcost.report import csv as module  # type: ignore[no-redef]
        case Format.MARKDOWN:
            from convcost.report import markdown as module  # type: ignore[no-redef]
        case Format.JSON:
            from convcost.report import json as module  # type: ignore[no-redef]
        case Format.LATEX:
            from convcost.report import latex as module  # type: ignore[no-redef]
        case _:
            assert_never(fmt)
    return Renderer(module.network, module.comparison, module.zoo, module.network_chunks)
