"""Analyses built on the cost engine: comparisons, sweeps, conversions."""
