"""What convcost accepts at most: every bound on input, in one place that imports nothing.

Each limit is checked on what is actually built, however it is reached (repetition,
``defaults``, branches, nesting, ``--alpha``, ``--resolution``), before the work it would
cost; docs/spec.md (Limits) lists them with the worst time and memory measured within them
(benchmarks/bench_limits.py). The command line imports this module without the YAML loader.
"""

from __future__ import annotations

from fractions import Fraction

# --- the spec file and its YAML ---
MAX_FILE_BYTES = 16 * 2**20  # a 250,000-entry spec is about 12 MB
MAX_NODES = 3_000_000  # YAML values, lists and mappings in one spec file
MAX_NESTING = 1_000  # YAML levels (a spec nested 50 containers deep uses about 200)
MAX_INT_TEXT = 40  # characters of an integer (MAX_SIZE has 8 digits; Python converts 4,300)

# --- what a spec asks for ---
MAX_SIZE = 2**24  # any size, channel count, kernel or stride, written or computed
MAX_REPEAT = 100_000  # a single entry's n
MAX_DEPTH = 50  # nesting of containers
MAX_ENTRIES = 250_000  # entries after repetition (each expands to a few layers)
MAX_NAME = 200  # characters of a name written in a spec

# --- what a report holds ---
MAX_ROWS = 1_000_000  # primitive layers in one report
MAX_PATH_NAME = 1_000  # characters of a layer's full name (its block path)
MAX_NAME_CHARS = 50_000_000  # characters of all row names in one report
MAX_BATCH = 2**16  # the batch N of a memory or latency figure (--batch)

# --- the width multiplier (--alpha): papers use 0.25 to about 4 ---
# A list flag (convcost sweep --alpha, convcost layer --cout): comma-separated items.
MAX_LIST_ITEMS = 10_000

ALPHA_MIN = Fraction(1, 1000)
ALPHA_MAX = 100
