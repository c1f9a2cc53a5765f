"""How the loader words what it got: long text clipped, a near miss named ("did you mean").

Shared by the field validators, the parser and the zoo lookup; it reads no YAML.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def suggest(word: str, choices: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for a message, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
