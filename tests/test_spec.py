"""The spec format: what the loader accepts, the JSON Schema, the shipped zoo's lookup."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from convcost import network, spec
from convcost.errors import ConvcostError

CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml"))


def _walk(text: str) -> network.Report:
    return network.walk(spec.loads(text, path="t.yaml"))


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(spec.json_schema())


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_shipped_config_validates_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), spec.json_schema())


@pytest.mark.parametrize(
    "text",
    [
        "input: [8, 8, 3]\nlayers:\n  - conv: {c: 8, strides: 2}\n",  # unknown field
        "input: [8, 8, 8, 8, 3]\nlayers:\n  - relu\n",  # input needs 2 to 4 values
        "input: [8, 8, 3]\nlayers:\n  - conv: {k: 3}\n",  # conv needs c
        "input: [8, 8, 3]\nlayers:\n  - relu: {c: 3}\n",  # relu has no fields
        "input: [8, 8, 3]\nlayers:\n  - conv: {c: 0}\n",  # positive counts
    ],
)
def test_schema_rejects_what_the_loader_rejects(text: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), spec.json_schema())
    with pytest.raises(ConvcostError):
        _walk(text)


def test_every_layer_type_is_in_the_schema() -> None:
    entries = spec.json_schema()["$defs"]["entry"]["oneOf"]
    named = {next(iter(e["properties"])) for e in entries if "properties" in e}
    assert named == set(spec.FIELDS)


def test_paper_aliases_and_long_names_mean_the_same() -> None:
    short = _walk("input: [32, 32, 3]\nlayers:\n  - conv: {c: 16, s: 2, n: 2}\n")
    long = _walk("input: [32, 32, 3]\nlayers:\n  - conv: {cout: 16, stride: 2, repeat: 2}\n")
    assert short.totals == long.totals
    # Only the first repetition strides: 32 -> 16 -> 16.
    assert [r.output for r in short.rows if r.kind.value == "conv2d"] == [(16, 16, 16)] * 2


def test_integral_floats_are_counts() -> None:
    assert _walk("input: [8, 8, 3]\nlayers:\n  - conv: {c: 64.0}\n").totals.params == (
        64 * 3 * 9 + 2 * 64
    )


def test_unicode_names_are_kept() -> None:
    report = _walk("input: [8, 8, 3]\nlayers:\n  - conv: {c: 4, name: 'étage-1 ✓'}\n")
    assert [r.name for r in report.rows] == ["étage-1 ✓", "étage-1 ✓.bn", "étage-1 ✓.relu"]


def test_generated_names_follow_the_walk() -> None:
    report = _walk(
        "input: [8, 8, 8]\nlayers:\n  - conv: {c: 8}\n  - separable: {c: 8, n: 2}\n"
        "  - residual:\n      layers: [conv: {c: 8, act: none}]\n"
        "      shortcut: [conv: {c: 8, k: 1, act: none}]\n"
    )
    names = [r.name for r in report.rows if r.kind.value in ("conv2d", "add")]
    assert names == [
        "conv1",
        "block1.dw",
        "block1.pw",
        "block2.dw",
        "block2.pw",
        "block3.conv1",
        "block3.shortcut.conv1",
        "block3.add",
    ]


def test_defaults_apply_and_entries_override_them() -> None:
    report = _walk(
        "input: [8, 8, 3]\ndefaults:\n  conv: {bias: true, bn: false}\n"
        "layers:\n  - conv: {c: 4}\n  - conv: {c: 4, bn: true}\n"
    )
    kinds = [r.kind.value for r in report.rows]
    assert kinds == ["conv2d", "activation", "conv2d", "batchnorm", "activation"]
    assert report.totals.params == (4 * 3 * 9 + 4) + (4 * 4 * 9 + 4) + 8


def test_declared_outputs_are_checked_only_at_the_specs_own_size() -> None:
    text = "input: [32, 32, 3]\nlayers:\n  - conv: {c: 8, s: 2, output: [16, 16, 8]}\n"
    loaded = spec.loads(text)
    assert network.walk(loaded, resolution=64).output == (32, 32, 8)


def test_shipped_names_resolve_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for typed in ("mobilenet_v1", "mobilenet_v1.yaml"):
        path, shown = spec.resolve(typed)
        assert path.name == "mobilenet_v1.yaml" and shown == "mobilenet_v1.yaml"
    # A name with a folder part is a path, never the shipped spec of the same name.
    with pytest.raises(ConvcostError) as caught:
        spec.resolve("configs/mobilenet_v1.yaml")
    assert str(caught.value) == (
        "configs/mobilenet_v1.yaml: no such file; for the shipped spec of that name, "
        "type mobilenet_v1"
    )
    (tmp_path / "mobilenet_v1.yaml").write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    assert spec.resolve("mobilenet_v1.yaml") == (Path("mobilenet_v1.yaml"), "mobilenet_v1.yaml")


def test_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConvcostError) as caught:
        spec.resolve("mobilenetv1")
    message = str(caught.value)
    assert message.startswith(
        "mobilenetv1: no such file, and no shipped spec of that name; "
        "did you mean 'mobilenet_v1'? (shipped: "
    )
    assert "resnet50" in message


def test_directory_missing_file_and_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConvcostError, match=r"is a directory, not a spec file"):
        spec.load(tmp_path)
    with pytest.raises(ConvcostError, match=r"nope\.yaml: no such file$"):
        spec.load(tmp_path / "nope.yaml", shown="nope.yaml")
    locked = tmp_path / "locked.yaml"
    locked.write_text("input: [8, 8, 3]\nlayers: [relu]\n")

    def refuse(path: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")  # root reads any file: simulate it

    monkeypatch.setattr("os.open", refuse)
    with pytest.raises(ConvcostError) as caught:
        spec.load(locked, shown="locked.yaml")
    monkeypatch.undo()
    assert str(caught.value) == "locked.yaml: permission denied"


def test_endless_and_huge_inputs_are_refused_early(tmp_path: Path) -> None:
    with pytest.raises(ConvcostError) as caught:
        spec.load("/dev/zero", shown="/dev/zero")  # a device is not a spec file: never read
    assert str(caught.value) == (
        "/dev/zero: is a character device, not a spec file; read a stream with 'convcost net -'"
    )
    with open("/dev/zero", "rb") as endless, pytest.raises(ConvcostError) as caught:
        spec.load_stream(endless)  # `convcost net - < /dev/zero`
    assert str(caught.value) == "<stdin>: is larger than 16,777,216 bytes, too large for a spec"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (spec.MAX_FILE_BYTES + 1))
    with pytest.raises(ConvcostError, match="too large for a spec"):
        spec.load(big)


def test_a_network_too_large_to_report_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "MAX_ROWS", 10)
    with pytest.raises(ConvcostError) as caught:
        _walk("input: [8, 8, 8]\nlayers:\n  - conv: {c: 8}\n  - separable: {c: 8, n: 3}\n")
    assert str(caught.value) == (
        "t.yaml:4: layer 'block2': the network expands to more than 10 layers"
    )
