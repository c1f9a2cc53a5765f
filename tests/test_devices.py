"""Device profiles: every shipped one loads, with exact numbers and a cited source on each
figure; a name is a shipped profile only where nothing of that name is on disk."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from convcost.analysis.memory import DTYPES as BYTES
from convcost.devices import DTYPES, Device, device_names, load_device, loads_device
from convcost.errors import ConvcostError

SHIPPED = Path(__file__).resolve().parent.parent / "configs" / "devices"


def test_the_shipped_profiles() -> None:
    assert device_names() == [
        "jetson-nano",
        "jetson-orin-nano",
        "nvidia-a100",
        "nvidia-h100",
        "pixel-1",
        "raspberry-pi-4",
        "snapdragon-8-gen-2",
        "xeon-8380-core",
    ]


@pytest.mark.parametrize("name", device_names())
def test_every_profile_loads_and_cites_its_figures(name: str) -> None:
    device = load_device(name)
    assert device.name == name
    assert device.peak_gflops and all(v > 0 for v in device.peak_gflops.values())
    assert device.bandwidth_gbs > 0
    # a datasheet profile is a pure roofline
    assert device.efficiency == {} and device.memory_efficiency == {}
    text = (SHIPPED / f"{name}.yaml").read_text()
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert "Sources:" in comments
    # each figure's source or derivation is in a comment: every data type and the bandwidth
    for dtype in device.peak_gflops:
        assert dtype in comments.lower() or dtype == "fp32", (name, dtype)
    assert "GB/s" in comments


def test_numbers_are_exact() -> None:
    """235.9296 is 2949120/12500, not the float nearest it."""
    nano = load_device("jetson-nano")
    assert nano.peak_gflops["fp32"] == Fraction("235.9296") == Fraction(128 * 2 * 9216, 10**4)
    assert nano.peak("fp32") == 128 * 2 * 921_600_000
    assert nano.bandwidth == 25_600_000_000
    # the ridge: 235.9296e9 FLOP/s / 25.6e9 B/s = 9.216 FLOPs per byte
    assert nano.ridge("fp32") == Fraction("9.216")


def test_dense_and_sparse_peaks_are_kept_apart() -> None:
    """H100 SXM: fp16 dense 989.4 TFLOPS (the datasheet's 1,979 is with sparsity)."""
    h100 = load_device("nvidia-h100")
    assert h100.peak_gflops["fp16"] == 989_400
    # the whitepaper's 1,978.9 sparse is twice the dense 989.43 before rounding
    assert h100.sparse_gflops["fp16"] == 1_978_900
    a100 = load_device("nvidia-a100")
    assert dict(a100.peak_gflops) == {
        "fp32": 19_500,
        "fp16": 312_000,
        "bf16": 312_000,
        "int8": 624_000,
    }


def test_cpu_peaks_are_cores_times_clock_times_flops_per_cycle() -> None:
    assert load_device("raspberry-pi-4").peak_gflops["fp32"] == 4 * Fraction("1.5") * 8
    assert load_device("pixel-1").peak_gflops["fp32"] == 1 * Fraction("2.15") * 8
    assert load_device("xeon-8380-core").peak_gflops["fp32"] == 1 * Fraction("2.3") * 2 * 16 * 2
    assert load_device("snapdragon-8-gen-2").peak_gflops["fp32"] == (
        1 * Fraction("3.2") * 4 * 4 * 2 + 4 * Fraction("2.8") * 2 * 4 * 2
    )


def test_the_data_types_are_memory_s() -> None:
    assert DTYPES == tuple(BYTES)


def test_a_missing_dtype_names_the_flag_and_what_the_device_has() -> None:
    with pytest.raises(ConvcostError) as caught:
        load_device("pixel-1").peak("fp16")
    assert str(caught.value) == "--dtype: pixel-1 has no peak for fp16; it has fp32"


def test_a_name_is_the_shipped_profile_whatever_the_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jetson-nano.yaml").write_text("not: a profile\n")
    assert load_device("jetson-nano").bandwidth_gbs == Fraction("25.6")
    with pytest.raises(ConvcostError) as caught:
        load_device("./jetson-nano.yaml")
    assert str(caught.value).startswith("./jetson-nano.yaml:1: not: unknown field")
    with pytest.raises(ConvcostError) as caught:
        load_device("jetson-nanoo")
    assert "did you mean 'jetson-nano'?" in str(caught.value)
    with pytest.raises(ConvcostError) as caught:
        load_device("devices/jetson-nano.yaml")
    assert str(caught.value) == (
        "devices/jetson-nano.yaml: no such file; for the shipped device of that name, "
        "type jetson-nano"
    )


def test_a_users_own_profile_with_efficiencies() -> None:
    device = loads_device(
        "name: mine\ndescription: mine\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
        "overhead_us: 5\nefficiency: {depthwise: 0.25}\nmemory_efficiency: {elementwise: 0.8}\n"
    )
    assert device == Device(
        "mine",
        "mine",
        {"fp32": Fraction(100)},
        Fraction(10),
        Fraction(5),
        {"depthwise": Fraction(1, 4)},
        {"elementwise": Fraction(4, 5)},
    )
    assert device.overhead("conv") == device.overhead("depthwise") == Fraction(5, 10**6)
    # the ridge of a depthwise row: 100e9 x 0.25 / 10e9 = 2.5 FLOPs per byte
    assert device.ridge("fp32", "depthwise") == Fraction(5, 2)
    assert device.ridge("fp32", "elementwise") == Fraction(100, 8)


def test_an_overhead_per_row_kind() -> None:
    """overhead_us: a number is every kind's; a mapping gives each kind its own, 0 for a kind
    it does not name."""
    base = "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
    device = loads_device(base + "overhead_us: {depthwise: 80, elementwise: 2.5, pool: 0}\n")
    assert device.overhead_us == {
        "depthwise": Fraction(80),
        "elementwise": Fraction(5, 2),
        "pool": Fraction(0),
    }
    assert device.overhead("depthwise") == Fraction(80, 10**6)
    assert device.overhead("elementwise") == Fraction(25, 10**7)
    assert device.overhead("pool") == device.overhead("conv") == 0
    assert loads_device(base + "overhead_us: 0\n").overhead("linear") == 0


def test_a_weight_efficiency_per_row_kind() -> None:
    base = "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
    device = loads_device(base + "memory_efficiency: {conv: 0.5}\nweight_efficiency: {conv: 0.2}\n")
    assert device.weight_efficiency == {"conv": Fraction(1, 5)}
    assert device.weight_rate("conv") == 2 * 10**9  # 10 GB/s x 0.2
    assert device.weight_rate("linear") == device.memory_rate("linear") == 10 * 10**9
    with pytest.raises(ConvcostError) as caught:
        loads_device(base + "weight_efficiency: {conv: 2}\n", path="d.yaml")
    assert str(caught.value) == (
        "d.yaml:5: weight_efficiency.conv: an efficiency is more than 0 and at most 1, got 2"
    )


@pytest.mark.parametrize(
    ("overhead", "message"),
    [
        (
            "{dephwise: 80}",
            "overhead_us.dephwise: unknown row kind; did you mean 'depthwise'? (known: conv, "
            "pointwise, depthwise, grouped, conv_transpose, linear, pool, global_pool, "
            "elementwise)",
        ),
        ("{conv: -3}", "overhead_us.conv: must be positive, got -3"),
        ("{conv: fast}", "overhead_us.conv: expected a number, got 'fast' (a string)"),
        (
            "[1, 2]",
            "overhead_us: expected microseconds (a number, or a mapping such as "
            "{depthwise: 80}), got a list of 2",
        ),
        ("-3", "overhead_us: must be positive, got -3"),
    ],
)
def test_a_bad_overhead_is_one_line_naming_the_field(overhead: str, message: str) -> None:
    text = "name: d\ndescription: d\npeak_gflops: {fp32: 100}\nbandwidth_gbs: 10\n"
    with pytest.raises(ConvcostError) as caught:
        loads_device(text + f"overhead_us: {overhead}\n", path="d.yaml")
    assert str(caught.value) == f"d.yaml:5: {message}"
