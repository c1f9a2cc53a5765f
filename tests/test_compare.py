"""convcost compare: the library's Versus and the command, against MobileNet's counts."""

from __future__ import annotations

from fractions import Fraction

import pytest
from typer.testing import CliRunner

from convcost import cli, spec
from convcost.analysis.compare import versus
from convcost.network import walk

runner = CliRunner()

# Recounted from the papers' tables (MobileNet V1 Table 1, MobileNetV2 Table 2), as the zoo
# tests check them: params 4,231,976 and 3,504,872; MACs 568,740,352 and 300,774,272.
V1_PARAMS, V1_MACS = 4_231_976, 568_740_352
V2_PARAMS, V2_MACS = 3_504_872, 300_774_272


def _walk(name: str):  # type: ignore[no-untyped-def]
    path, shown = spec.resolve(name)
    return walk(spec.load(path, shown=shown))


def test_versus_totals_and_ratios_are_exact() -> None:
    v = versus([_walk("mobilenet_v1"), _walk("mobilenet_v2")])
    first, second = v.entries
    assert (first.report.totals.params, first.report.totals.macs) == (V1_PARAMS, V1_MACS)
    assert (second.report.totals.params, second.report.totals.macs) == (V2_PARAMS, V2_MACS)
    assert first.params_ratio == first.macs_ratio == 1
    assert second.params_ratio == Fraction(V2_PARAMS, V1_PARAMS) == Fraction(62587, 75571)
    assert second.macs_ratio == Fraction(V2_MACS, V1_MACS) == Fraction(2349799, 4443284)
    by_type = dict(v.by_type())
    assert sum(m for m, _ in by_type.values()) == V1_MACS
    assert sum(m for _, m in by_type.values()) == V2_MACS
    diffs = v.differences()
    assert len(diffs) == 10
    spreads = [d.spread for d in diffs]
    assert spreads == sorted(spreads, reverse=True)


def test_versus_takes_two_to_sixteen() -> None:
    with pytest.raises(Exception, match="2 to 16"):
        versus([_walk("mobilenet_v1")])


@pytest.mark.parametrize("width", [80, 100])
def test_compare_golden_and_fits(width: int, golden) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        cli.app, ["compare", "mobilenet_v1", "mobilenet_v2"], env={"COLUMNS": str(width)}
    )
    assert result.exit_code == 0, result.output
    golden(f"compare/mobilenet_v1_v2_{width}.txt", result.stdout)
    assert max(len(line) for line in result.stdout.splitlines()) <= width


def test_compare_suffix_sets_the_variant() -> None:
    result = runner.invoke(
        cli.app, ["compare", "mobilenet_v1", "mobilenet_v1@0.75x160", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "network,variant,params,buffers,macs,flops,params_ratio,macs_ratio,params_share,macs_share"
    )
    assert lines[1] == (
        f"mobilenet_v1,as written,{V1_PARAMS},21888,{V1_MACS},{2 * V1_MACS},1,1,1.000000,1.000000"
    )
    assert lines[2].startswith('mobilenet_v1@0.75x160,"alpha 0.75, 160x160",')


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["mobilenet_v1"], 2, "give 2 to 16 specs"),
        (["mobilenet_v1", "nope"], 1, "nope"),
        (["mobilenet_v1", "mobilenet_v2@abc"], 2, "--alpha"),
    ],
)
def test_compare_bad_inputs(args: list[str], code: int, needle: str) -> None:
    result = runner.invoke(cli.app, ["compare", *args])
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
