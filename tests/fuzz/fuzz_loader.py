"""Coverage-guided fuzzing of the spec loader and walker with atheris (run by hand).

    pip install atheris
    python tests/fuzz/fuzz_loader.py tests/fuzz/corpus -max_total_time=60

Any exception other than ConvcostError is a finding: atheris stops and writes the input to
``crash-*``. Copy such inputs into ``tests/fuzz/corpus/`` once fixed;
``tests/fuzz/test_corpus.py`` replays the whole corpus in CI.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from convcost import network, spec
    from convcost.errors import ConvcostError


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        network.walk(spec.loads(text, path="fuzz.yaml"))
    except ConvcostError as error:
        if "\n" in str(error):
            raise AssertionError(f"message on several lines: {error!r}") from None


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
