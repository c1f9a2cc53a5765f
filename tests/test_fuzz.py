"""Fuzzing the loader and walker with hypothesis.

Structurally valid specs are checked against an independent recomputation written out here
from the conventions (not from ``convcost.formulas``); mutated specs must either load or raise
``ConvcostError``, never another exception.
"""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcost import network, spec
from convcost.errors import ConvcostError

# CI runs a bounded number of examples; CONVCOST_FUZZ_EXAMPLES=5000 digs deeper by hand.
FUZZ = settings(
    max_examples=int(os.environ.get("CONVCOST_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

small = st.integers(min_value=1, max_value=9)


@st.composite
def layer_entries(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "conv",
                "separable",
                "maxpool",
                "relu",
                "batchnorm",
                "fc",
                "global_avgpool",
                "inverted_residual",
                "residual",
                "concat",
            ]
        )
    )
    if kind == "inverted_residual":
        return {
            "inverted_residual": {
                "t": draw(st.integers(min_value=1, max_value=6)),
                "c": draw(small),
                "s": draw(st.integers(min_value=1, max_value=2)),
                "n": draw(st.integers(min_value=1, max_value=3)),
            }
        }
    if kind == "residual":
        body = {"c": draw(small), "act": "none"}
        fields: dict[str, Any] = {"layers": [{"conv": body}]}
        if draw(st.booleans()):
            fields["shortcut"] = [{"conv": {"c": draw(small), "k": 1, "act": "none"}}]
        return {"residual": fields}
    if kind == "concat":
        branches = [[{"conv": {"c": draw(small), "k": draw(st.sampled_from([1, 3]))}}]]
        branches.append([] if draw(st.booleans()) else [{"conv": {"c": draw(small), "k": 1}}])
        return {"concat": {"branches": branches}}
    if kind == "conv":
        fields = {"c": draw(small), "k": draw(st.sampled_from([1, 3, 5])), "s": draw(small)}
        if draw(st.booleans()):
            fields["bias"] = True
        if draw(st.booleans()):
            fields["groups"] = draw(st.sampled_from([1, 2, 3]))
        if draw(st.booleans()):
            fields["padding"] = draw(st.integers(min_value=0, max_value=2))
        return {"conv": fields}
    if kind == "separable":
        return {
            "separable": {
                "c": draw(small),
                "k": draw(st.sampled_from([3, 5])),
                "s": draw(st.integers(min_value=1, max_value=2)),
            }
        }
    if kind == "maxpool":
        return {
            "maxpool": {
                "k": draw(st.integers(min_value=1, max_value=3)),
                "s": draw(st.integers(min_value=1, max_value=3)),
            }
        }
    if kind == "fc":
        return {"fc": {"c": draw(small)}}
    return {kind: {}}


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=1, max_value=24))
    return {
        "input": [size, draw(st.integers(min_value=1, max_value=24)), draw(small)],
        "layers": draw(st.lists(layer_entries(), min_size=1, max_size=8)),
    }


def _conv_bn(h: int, w: int, cin: int, cout: int, k: int, s: int = 1) -> tuple[int, ...]:
    """A 'same'-padded conv followed by BatchNorm: (h, w, params, buffers, MACs)."""
    h, w = -(-h // s), -(-w // s)
    return h, w, cout * cin * k * k + 2 * cout, 2 * cout, h * w * cout * cin * k * k


def _recompute(doc: dict[str, Any]) -> tuple[int, int, int] | None:
    """(params, buffers, MACs) by the conventions, or None where the spec is invalid."""
    h, w, c = doc["input"]
    params = buffers = macs = 0
    for entry in doc["layers"]:
        ((kind, f),) = entry.items()
        if kind == "inverted_residual":
            for i in range(f["n"]):  # Sandler et al. Table 1; only the first of n strides
                hidden = c * f["t"]
                if hidden != c:
                    _, _, p, b, m = _conv_bn(h, w, c, hidden, 1)
                    params, buffers, macs = params + p, buffers + b, macs + m
                s = f["s"] if i == 0 else 1
                h, w = -(-h // s), -(-w // s)
                params += 9 * hidden + 2 * hidden
                buffers += 2 * hidden
                macs += h * w * hidden * 9
                _, _, p, b, m = _conv_bn(h, w, hidden, f["c"], 1)
                params, buffers, macs, c = params + p, buffers + b, macs + m, f["c"]
            continue
        if kind == "residual":
            body = f["layers"][0]["conv"]
            _, _, p, b, m = _conv_bn(h, w, c, body["c"], 3)
            params, buffers, macs = params + p, buffers + b, macs + m
            out = c
            if "shortcut" in f:
                short = f["shortcut"][0]["conv"]
                _, _, p, b, m = _conv_bn(h, w, c, short["c"], 1)
                params, buffers, macs, out = params + p, buffers + b, macs + m, short["c"]
            if out != body["c"]:
                return None  # the add needs equal channels
            c = out
            continue
        if kind == "concat":
            channels = 0
            for branch in f["branches"]:
                if not branch:
                    channels += c
                    continue
                conv = branch[0]["conv"]
                _, _, p, b, m = _conv_bn(h, w, c, conv["c"], conv["k"])
                params, buffers, macs = params + p, buffers + b, macs + m
                channels += conv["c"]
            c = channels
            continue
        if kind == "conv":
            g, k, s = f.get("groups", 1), f["k"], f["s"]
            if c % g or f["c"] % g:
                return None
            if "padding" in f:
                p = f["padding"]
                if h + 2 * p < k or w + 2 * p < k:
                    return None
                h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            else:  # 'same': ceil(size / stride)
                h, w = -(-h // s), -(-w // s)
            macs += h * w * f["c"] * (c // g) * k * k
            params += f["c"] * (c // g) * k * k + 2 * f["c"] + (f["c"] if f.get("bias") else 0)
            buffers += 2 * f["c"]
            c = f["c"]
        elif kind == "separable":
            k, s = f["k"], f["s"]
            h, w = -(-h // s), -(-w // s)
            macs += h * w * c * k * k + h * w * c * f["c"]
            params += c * k * k + 2 * c + c * f["c"] + 2 * f["c"]
            buffers += 2 * c + 2 * f["c"]
            c = f["c"]
        elif kind == "maxpool":
            if h < f["k"] or w < f["k"]:
                return None
            h, w = (h - f["k"]) // f["s"] + 1, (w - f["k"]) // f["s"] + 1
        elif kind == "batchnorm":
            params += 2 * c
            buffers += 2 * c
        elif kind == "fc":
            fin = h * w * c
            params += fin * f["c"] + f["c"]
            macs += fin * f["c"]
            h, w, c = 1, 1, f["c"]
        elif kind == "global_avgpool":
            h, w = 1, 1
    return params, buffers, macs


@FUZZ
@given(specs())
def test_valid_specs_match_an_independent_count(doc: dict[str, Any]) -> None:
    expected = _recompute(doc)
    text = yaml.safe_dump(doc, sort_keys=False)
    try:
        report = network.walk(spec.loads(text, path="fuzz.yaml"))
    except ConvcostError:
        assert expected is None, text
        return
    assert expected is not None, text
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == expected


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(min_value=-3, max_value=300), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    doc: Any = draw(specs())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(["top", "input", "layer", "field", "root"]))
        if where == "root":
            doc = draw(junk)
            break
        if where == "top":
            doc[
                draw(
                    st.sampled_from(["input", "layers", "name", "defaults", "width_rule", "extra"])
                )
            ] = draw(junk)
        elif where == "input" and isinstance(doc.get("input"), list) and doc["input"]:
            doc["input"][draw(st.integers(0, len(doc["input"]) - 1))] = draw(junk)
        elif where == "layer" and isinstance(doc.get("layers"), list) and doc["layers"]:
            doc["layers"][draw(st.integers(0, len(doc["layers"]) - 1))] = draw(
                st.one_of(
                    junk,
                    st.dictionaries(
                        st.sampled_from(list(spec.FIELDS)), junk, min_size=1, max_size=2
                    ),
                )
            )
        elif where == "field" and isinstance(doc.get("layers"), list) and doc["layers"]:
            entry = doc["layers"][draw(st.integers(0, len(doc["layers"]) - 1))]
            if isinstance(entry, dict) and entry:
                ((_, fields),) = list(entry.items())[:1]
                if isinstance(fields, dict):
                    key = draw(
                        st.sampled_from(
                            [
                                "c",
                                "k",
                                "s",
                                "n",
                                "groups",
                                "padding",
                                "output",
                                "name",
                                "t",
                                "bogus",
                            ]
                        )
                    )
                    fields[key] = draw(junk)
    return doc


@FUZZ
@given(mutated_specs())
def test_broken_specs_raise_only_our_error(doc: Any) -> None:
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    try:
        report = network.walk(spec.loads(text, path="fuzz.yaml"))
    except ConvcostError as error:
        assert "\n" not in str(error)
        return
    assert report.totals.params >= 0 and report.totals.macs >= 0


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_our_error(text: str) -> None:
    try:
        spec.loads(text, path="fuzz.yaml")
    except ConvcostError:
        pass
