"""Replays the atheris corpus (seeds and past findings): each input either loads and walks or
raises ConvcostError with a one-line message, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from convcost import network, spec
from convcost.errors import ConvcostError

CORPUS = sorted((Path(__file__).parent / "corpus").iterdir())


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 10


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_input(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        network.walk(spec.loads(text, path=path.name))
    except ConvcostError as error:
        assert "\n" not in str(error)
