"""How the loader words what it got: long text clipped, a near miss named ("did you mean").

Shared by the field validators, the parser and the zoo lookup; it reads no YAML.

A suggestion names the same thing the user meant, or nothing (issue 13). It is made for a
word written another way (``Leaky_ReLU``, ``mobilenet-v1``: case and separators aside, the
same), for another name of the same thing the caller knows (``kernel_size`` for ``k``), and
for a slip of the keyboard, which :func:`is_typo` defines. A word that is a *different* word
built from a choice is no slip: ``deconv`` is not ``conv``, ``prelu`` not ``relu``,
``conv3d`` not ``conv``, ``se`` not ``s``. Those differ from the choice by what makes words in
this domain: a prefix, a whole added part, or a number; a typo changes a letter or two inside
a word long enough to survive it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_SEPARATORS = re.compile(r"[\s_\-.]+")
_NUMBERS = re.compile(r"\d+")


def normal(word: str) -> str:
    """A name as compared: lower case, without separators (``Leaky_ReLU`` -> ``leakyrelu``)."""
    return _SEPARATORS.sub("", word.lower())


def _distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insertions, deletions, substitutions and swaps of two
    neighbouring letters, each counting one (optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def is_typo(word: str, meant: str) -> bool:
    """Whether ``word`` reads as a slip of the keyboard for ``meant`` (both as :func:`normal`).

    - The numbers in them are the same: a number names a variant (``relu6``, ``conv3d``,
      ``mobilenet_v2``), never a slip.
    - They start alike, or with the first two letters swapped (``rleu``): a letter put before
      a word makes another word (``prelu``, ``hswish``, ``elu``). Words that differ from ours
      by one letter inside and still name other layers (``selu`` beside ``silu``) are the
      caller's to know (``known`` in :func:`near`).
    - Neither is the other with two or more letters added (``deconv``, ``sepconv``,
      ``conv_transpose``): that is a word built on it; nor are their lengths three or more
      apart. One letter at the end is a slip or a plural (``strid``, ``biass``, ``layer``).
    - The edits are few for the length: a swap of two letters up to three letters (one more
      edit in a word that short makes another word: ``se`` for ``s``), one edit up to seven,
      two from eight on.
    """
    if word == meant or not word or not meant:
        return word == meant
    if _NUMBERS.findall(word) != _NUMBERS.findall(meant):
        return False
    if word[0] != meant[0] and word[:2] != meant[1::-1]:
        return False
    short, long = sorted((word, meant), key=len)
    if len(long) - len(short) >= 2 and (short in long or len(long) - len(short) > 2):
        return False
    edits = _distance(word, meant)
    if len(meant) <= 3:
        return edits == 1 and sorted(word) == sorted(meant) and len(word) == len(meant)
    return edits <= (1 if len(meant) < 8 else 2)


def near(
    word: str,
    choices: Iterable[str],
    others: Mapping[str, Sequence[str]] | None = None,
    known: Iterable[str] = (),
) -> list[str]:
    """The choices ``word`` most likely means, best first (at most two, when equally near).

    ``others`` maps other names (as :func:`normal` writes them) to the choices they mean;
    ``known`` holds words (normal too) that name something else and are never corrected.
    """
    choices = list(choices)
    target = normal(word)
    if target in set(known):
        return []
    names: dict[str, list[str]] = {}
    for choice in choices:
        names.setdefault(normal(choice), []).append(choice)
    for name, meant in (others or {}).items():
        names.setdefault(name, []).extend(c for c in meant if c in choices)
    exact = names.get(target, [])
    if exact:
        return list(dict.fromkeys(exact))[:2]
    scored = sorted(
        (_distance(target, name), name) for name in names if names[name] and is_typo(target, name)
    )
    if not scored:
        return []
    best = [name for score, name in scored if score == scored[0][0]]
    found = list(dict.fromkeys(c for name in best for c in names[name]))
    return found[:2]


def suggest(
    word: str,
    choices: Iterable[str],
    others: Mapping[str, Sequence[str]] | None = None,
    known: Iterable[str] = (),
) -> str:
    """``; did you mean 'x'?`` for what ``word`` most likely means (see :func:`near`), or
    nothing."""
    found = near(word, choices, others, known)
    if not found:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in found) + "?"


def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for a message, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
