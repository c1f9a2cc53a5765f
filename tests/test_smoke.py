from convcost import network, spec


def test_mobilenet_v1_totals() -> None:
    # Howard et al. 2017 / torchvision-style reference: 4,231,976 params, 568,740,352 MACs.
    report = network.walk(spec.load("configs/mobilenet_v1.yaml"))
    assert report.totals.params == 4_231_976
    assert report.totals.macs == 568_740_352
