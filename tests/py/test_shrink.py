"""`riommu shrink`: delta debugging of a failing scenario (issue 5,
"Stimulus and debugging"; docs/cosim.md "Shrinking")."""

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCN_DIR = REPO_ROOT / "tests" / "scenarios"
SHRUNK = re.compile(r"^shrunk: (\d+) -> (\d+) statements in (\d+) runs")


def statements(path: Path):
    return [ln for ln in path.read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def shrunk_counts(out: str):
    m = SHRUNK.search(out.splitlines()[-1])
    assert m, out
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("defect,kind", [("wrong-cause", "dma-cause"),
                                         ("ignore-addr-inval", None),
                                         ("wrong-iotval", None)])
def test_shrink_keeps_the_failure_and_is_one_minimal(run_riommu, tmp_path, defect, kind):
    """A corpus scenario failing on a defective second model (q "Fault/
    Event-Queue" causes and iotval, q "IOTINVAL.VMA") shrinks to a smaller
    scenario that parses, still fails on the same backends with the same
    first record, and is 1-minimal: shrinking the result again removes
    nothing."""
    backends = f"model,model:defect={defect}"
    src = SCN_DIR / "03_paging_4k.scn"
    if defect == "ignore-addr-inval":
        src = SCN_DIR / "26_unmap_stale_iotlb.scn"
    out = tmp_path / "min.scn"
    r = run_riommu("shrink", str(src), "--backends", backends, "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    before, after = shrunk_counts(r.stdout)
    assert before == len(statements(src))
    assert 0 < after < before
    assert len(statements(out)) == after
    sig = re.search(r"fails with (.+)$", r.stdout.splitlines()[0]).group(1)
    if kind:
        assert sig.startswith(kind)
    assert f"# Fails with: {sig}" in out.read_text()
    # the result fails the same way under `riommu run`
    rr = run_riommu("run", "-q", "-x", "--backends", backends, str(out))
    assert rr.returncode == 1, rr.stdout + rr.stderr
    first = re.search(r"^MISMATCH: backend (\S+), step \d+, t=\d+ us: (\S+) (.+?): expected",
                      rr.stdout, re.M)
    assert first and first.group(1) == f"model:defect={defect}"
    assert sig.startswith(f"{first.group(2)} on {first.group(1)}: ")
    # 1-minimal
    again = tmp_path / "again.scn"
    r2 = run_riommu("shrink", str(out), "--backends", backends, "-o", str(again))
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert shrunk_counts(r2.stdout) == (after, after)


def test_shrink_without_backends_keeps_the_failed_expectation(run_riommu, tmp_path):
    """Without --backends the signature is the failed expectation: the
    deliberately wrong `pa` of tests/scenarios/failing/one_mismatch.scn
    survives with exactly what it needs (a mapping; ds "Process to
    translate an IOVA")."""
    out = tmp_path / "m.scn"
    r = run_riommu("shrink", str(SCN_DIR / "failing" / "one_mismatch.scn"), "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "expectation 'pa' of a 'dma' statement" in r.stdout
    text = out.read_text()
    assert "expect ok pa 0x100002008" in text and re.search(r"^map ", text, re.M)
    rr = run_riommu("run", "-q", str(out))
    assert rr.returncode == 1 and "expected pa" in rr.stdout


def test_shrink_refuses_what_does_not_fail(run_riommu, tmp_path):
    """A passing scenario has nothing to shrink: exit 1, no file written."""
    out = tmp_path / "x.scn"
    r = run_riommu("shrink", str(SCN_DIR / "03_paging_4k.scn"), "--backends", "model,model2",
                   "-o", str(out))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "does not fail" in r.stdout and not out.exists()


@pytest.mark.parametrize("args,msg", [
    ([], "usage: riommu shrink"),
    (["a.scn", "b.scn"], "one scenario at a time"),
    (["--bogus", "a.scn"], "unknown option"),
    (["a.scn", "--max-runs", "0"], "--max-runs"),
    (["a.scn", "--backends", "qemu"], "reference"),
    (["a.scn", "--waivers", "w"], "--waivers needs --backends"),
    (["-"], "needs -o"),
    (["/nonexistent/x.scn"], "cannot open"),
])
def test_shrink_usage_errors(run_riommu, args, msg):
    """Command-line arguments are untrusted input: each mistake exits 2
    with a message naming it."""
    r = run_riommu("shrink", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert msg in r.stderr


def test_shrink_reports_parse_errors_like_run(run_riommu, tmp_path):
    """A malformed scenario is reported as FILE:LINE: message, exit 2
    (docs/scenarios.md "Everything is parsed first")."""
    bad = tmp_path / "bad.scn"
    bad.write_text("init\nprobe\n")
    r = run_riommu("shrink", str(bad))
    assert r.returncode == 2
    assert re.search(rf"^{re.escape(str(bad))}:2: ", r.stderr, re.M), r.stderr
