"""The one error type of convcost: it knows where in the input the problem is."""

from __future__ import annotations

from convcost import printable


class ConvcostError(Exception):
    """A problem with the user's input, located as precisely as we can.

    ``str()`` composes ``configs/x.yaml:14: layer 'block3.dw': groups: 5 does not divide cin=32``;
    each part appears only when known. ``line`` is 1-based.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        layer: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.layer = layer
        self.field = field

    def located(
        self,
        *,
        path: str | None = None,
        line: int | None = None,
        layer: str | None = None,
        field: str | None = None,
    ) -> ConvcostError:
        """Fill in whatever location is not known yet, keeping what is (innermost wins)."""
        self.path = self.path if self.path is not None else path
        self.line = self.line if self.line is not None else line
        self.layer = self.layer if self.layer is not None else layer
        self.field = self.field if self.field is not None else field
        return self

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.layer is not None:
            where += f"layer '{_clip(self.layer)}': "
        if self.field is not None:
            where += f"{_clip(self.field)}: "
        return _one_line(where + self.message)


def _clip(name: str, limit: int = 80) -> str:
    """Long generated names (deeply nested blocks) keep their head and tail."""
    if len(name) <= limit:
        return name
    half = (limit - 3) // 2
    return f"{name[:half]}...{name[-half:]}"


def _one_line(text: str) -> str:
    """Escape newlines and other unprintable characters echoed from the input; reports
    follow the same rule (``convcost.printable``)."""
    return printable.escape(text)
