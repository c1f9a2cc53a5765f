"""One rule for echoing user text: what the terminal or a file would act on is made visible.

Error messages (``errors.py``) and every report (``report/``) print names, file names and
sources through :func:`escape`, so a name holding ESC, a bell, a backspace, a line separator
or a right-to-left override shows as ``\\x1b``, ``\\x07``, ``\\x08``, ``\\u2028``, ``\\u202e``
instead of clearing the screen, reordering the line or starting a new one ("Bounded by
construction": reports are safe to print and to open). It imports nothing of ours, like
``errors``, so any module may use it.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """``text`` with each character ``str.isprintable`` rejects written as its Python escape.

    Rejected: control characters (``\\n``, ``\\t``, ESC), format characters (bidi overrides,
    zero-width joiners), line and paragraph separators, separators other than the space,
    surrogates, private-use and unassigned code points. Printable text, other scripts
    included, is kept as is.

    >>> escape("evil\\n\\x1b[2J\\u202e")
    'evil\\\\n\\\\x1b[2J\\\\u202e'
    >>> escape("层一 conv_1")
    '层一 conv_1'
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def fold(text: str) -> str:
    """Multi-line text (a YAML ``source: |`` block) as one line: its lines joined by a space.

    Only ``\\n`` (and ``\\r\\n``) separate lines here; any other break is left for
    :func:`escape` to show.

    >>> fold("Howard et al. 2017\\n  arXiv:1704.04861\\n")
    'Howard et al. 2017 arXiv:1704.04861'
    """
    if "\n" not in text:
        return text
    lines = (line.strip(" ").removesuffix("\r").strip(" ") for line in text.split("\n"))
    return " ".join(line for line in lines if line)
