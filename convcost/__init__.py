"""convcost: exact params, MACs and FLOPs of convolution layers and whole CNNs."""

# Kept in step with pyproject.toml by tests/test_cli.py::test_version_matches_pyproject; a
# literal, because importlib.metadata costs milliseconds at every start (benchmarks/).
__version__ = "0.1.0"
