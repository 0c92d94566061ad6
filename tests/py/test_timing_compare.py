"""`riommu run/random --timing-compare` (issue 7, "Calibration against RTL";
docs/rtl-harness.md "Timing comparison"): every DMA both the reference and
another backend answered alike is a latency pair (riommu_cosim_on_latency,
riommu_backend_caps.reports_latency); the summary gives, per compared
backend, the count, both mean latencies, the mean and p95 relative error
|ref - other| / other, the signed mean and the worst requests.

The figures are checked for consistency only (each worst line's percentage
is its own two latencies; the means bracket the worst lines' sides); the
calibration bounds belong to the timing model's test."""

import re

import pytest

from conftest import REPO_ROOT

SCN = REPO_ROOT / "tests" / "scenarios" / "03_paging_4k.scn"
HEAD = re.compile(r"^timing compare (\S+) vs (\S+): (\d+) DMAs; mean latency ([\d.]+) vs "
                  r"([\d.]+) cycles; relative error \|\S+\|/\S+ mean ([\d.]+) %, "
                  r"p95 ([\d.]+) %, signed mean ([+-][\d.]+) %$")
WORST = re.compile(r"^  worst (\d+): (.+?): device 0x[0-9a-f]+ (read|write|exec) 0x[0-9a-f]+ "
                   r"len \d+: (\S+) (\d+), (\S+) (\d+) cycles \(([+-]\d+) %\)$")


def summaries(out: str):
    heads, worst = [], []
    for line in out.splitlines():
        m = HEAD.match(line)
        if m:
            heads.append(m.groups())
            worst.append([])
            continue
        m = WORST.match(line)
        if m:
            assert heads, line
            worst[-1].append(m.groups())
    return heads, worst


def check_consistent(heads, worst, ref, other):
    assert len(heads) == 1, heads
    r, o, n, _mref, _moth, mean, p95, _signed = heads[0]
    assert (r, o) == (ref, other)
    assert int(n) > 0
    assert 0 <= float(mean) and 0 <= float(p95)
    rows = worst[0]
    assert 1 <= len(rows) <= 5
    prev = None
    for _idx, _prog, _acc, rn, rc, on, oc, pct in rows:
        assert (rn, on) == (ref, other)
        rc, oc = int(rc), int(oc)
        expect = 100.0 * (rc - oc) / max(oc, 1)
        assert abs(expect - int(pct)) <= 1, (rc, oc, pct)
        if prev is not None:   # worst first
            assert abs(expect) <= prev + 1
        prev = abs(expect)
    # the worst request's error bounds the p95 and the mean
    assert float(p95) <= prev_first(rows) + 0.1 and float(mean) <= prev_first(rows) + 0.1


def prev_first(rows):
    _i, _p, _a, _rn, rc, _on, oc, _pct = rows[0]
    return 100.0 * abs(int(rc) - int(oc)) / max(int(oc), 1)


def test_model_model2_pairs_every_dma(run_riommu):
    """model,model2 (other memory latency and cache geometry): both report
    latency, so every DMA of the scenario is a pair and the summary is
    consistent (no Verilator needed)."""
    r = run_riommu("run", "--backends", "model,model2", "--timing-compare", str(SCN))
    assert r.returncode == 0, r.stdout + r.stderr
    heads, worst = summaries(r.stdout)
    check_consistent(heads, worst, "model", "model2")
    assert "mismatches: 0, waived: 0, skipped: 0" in r.stdout


def test_random_on_model_rtl(run_riommu):
    """model,rtl over seeds: pairs from every seed, the worst lines name
    their seed; the DUT's cycles come from the harness (reports_latency)."""
    r = run_riommu("random", "--seeds", "1-5", "--backends", "model,rtl", "-q",
                   "--timing-compare")
    out = r.stdout + r.stderr
    if "built without Verilator" in out:
        pytest.skip("riommu built without Verilator: no rtl backend")
    assert r.returncode == 0, out[-2000:]
    heads, worst = summaries(r.stdout)
    check_consistent(heads, worst, "model", "rtl")
    assert all(w[1].startswith("seed-") for w in worst[0]), worst


def test_needs_a_second_backend(run_riommu):
    """Usage: --timing-compare without two backends is an error (exit 2)."""
    r = run_riommu("run", "--timing-compare", str(SCN))
    assert r.returncode == 2
    assert "--timing-compare needs a second backend" in r.stderr
