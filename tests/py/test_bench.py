"""`riommu bench`: the benchmark that prints the RTL performance figures
(issue 6 "RTL verification", must-show: simulated cycles/s of the DUT alone
and in lockstep with the model; docs/rtl-harness.md "Benchmark").

Performance targets are checked by the benchmark printing its figures, not
by timed tests: these tests run a tiny workload (`--size 1 --repeat 1`) and
check the output's shape and that its figures are positive and consistent
with each other, never how fast anything ran.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import RUN_TIMEOUT_S, require_binary

NO_RTL = "built without Verilator"
TINY = ["--size", "1", "--repeat", "1"]


@pytest.fixture(scope="module")
def have_rtl(build_dir: Path):
    """Skip (with the reason) when riommu was built without Verilator; that
    build's message is checked by test_bench_rtl_without_verilator."""
    riommu = require_binary(build_dir, "riommu")
    r = subprocess.run([str(riommu), "bench", "--rtl", "--help"], capture_output=True,
                       text=True, timeout=RUN_TIMEOUT_S, check=False)
    if "(not in this build)" in r.stdout:
        pytest.skip("riommu built without Verilator: no rtl backend")
    return True


def figure(out: str, group: str, label: str) -> str:
    """The value of text line `label` inside the group headed `group`."""
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == group)
    indent = len(lines[start]) - len(lines[start].lstrip())
    for l in lines[start + 1:]:
        if len(l) - len(l.lstrip()) <= indent:
            break
        m = re.match(r"\s*" + re.escape(label) + r"\s{2,}(\S.*)$", l)
        if m:
            return m.group(1)
    raise AssertionError(f"no '{label}' under '{group}' in:\n{out}")


def test_bench_rtl_text(run_riommu, have_rtl):
    """docs/rtl-harness.md "Benchmark": DUT cycles, wall seconds and cycles/s
    for the DUT alone and in lockstep, the overhead in percent and both
    targets with a PASS/BELOW mark; the same deterministic workload gives
    the DUT the same cycles in both worlds, with no mismatch."""
    r = run_riommu("bench", "--rtl", *TINY)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.splitlines()[0] == "riommu bench --rtl"
    alone, lock = "DUT alone (engine over rtl)", "lockstep (engine over model,rtl)"
    cycles = [int(figure(out, g, "DUT cycles")) for g in (alone, lock)]
    assert cycles[0] > 0 and cycles[0] == cycles[1]
    for g in (alone, lock):
        wall = float(figure(out, g, "wall time (best)").removesuffix(" s"))
        cps = float(figure(out, g, "cycles/s"))
        assert wall > 0 and cps > 0
        # wall is printed to the millisecond
        assert cycles[0] / (wall + 0.0005) <= cps <= cycles[0] / max(wall - 0.0005, 1e-9)
    assert figure(out, lock, "mismatches") == "0"
    assert int(figure(out, "workload (the same in both worlds)", "rounds")) == 1
    assert int(figure(out, "workload (the same in both worlds)", "device DMAs")) > 0
    assert re.search(r"^  lockstep overhead \(wall time\)\s+-?\d+\.\d %$", out, re.M)
    assert re.search(r"^    DUT alone cycles/s\s+\d+ \(target >= 500000\) (PASS|BELOW)$",
                     out, re.M), out
    assert re.search(r"^    lockstep overhead\s+-?\d+\.\d % \(target <= 10\.0 %\) (PASS|BELOW)$",
                     out, re.M), out
    # progress goes to stderr, figures to stdout
    assert "run 1/1 alone" in r.stderr and "run 1/1" not in out


def test_bench_rtl_json(run_riommu, have_rtl):
    """bench.h: --json is one JSON document {"riommu_bench": 1, "sections":
    {"rtl": ...}} with the same figures; targets are {value, op, bound,
    pass} objects whose pass agrees with value and bound."""
    r = run_riommu("bench", "--rtl", "--json", *TINY)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["riommu_bench"] == 1 and list(doc["sections"]) == ["rtl"]
    rtl = doc["sections"]["rtl"]
    alone, lock = rtl["alone"], rtl["lockstep"]
    assert alone["cycles"] > 0 and alone["cycles"] == lock["cycles"]
    assert lock["mismatches"] == 0
    assert rtl["workload"]["rounds"] == 1 and rtl["repeat"] == 1
    assert 0 < rtl["workload"]["dma_faults"] < rtl["workload"]["dmas"]
    assert rtl["workload"]["commands"] > 0 and rtl["workload"]["faults_drained"] > 0
    for run in (alone, lock):
        assert run["wall_s"] > 0 and run["cpu_s"] > 0
        assert run["wall_s_median"] == run["wall_s"]  # one run
        assert run["cycles_per_s"] == pytest.approx(run["cycles"] / run["wall_s"])
    overhead = (lock["wall_s"] - alone["wall_s"]) / alone["wall_s"] * 100
    assert rtl["overhead_pct"] == pytest.approx(overhead)
    t = rtl["targets"]
    assert t["alone_cycles_per_s"] == {"value": alone["cycles_per_s"], "op": ">=",
                                       "bound": 500000,
                                       "pass": alone["cycles_per_s"] >= 500000}
    assert t["overhead_pct"] == {"value": rtl["overhead_pct"], "op": "<=", "bound": 10,
                                 "pass": rtl["overhead_pct"] <= 10}


def test_bench_default_runs_rtl(run_riommu, have_rtl):
    """docs/rtl-harness.md "Benchmark": `riommu bench` without a section
    flag runs every section the build has, the RTL one included."""
    r = run_riommu("bench", "--json", *TINY)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rtl" in json.loads(r.stdout)["sections"]


def test_bench_rtl_without_verilator(run_riommu, build_dir: Path):
    """bench.h: in a build without Verilator `--rtl` is a clear error (exit
    2); with Verilator the help does not call the section missing."""
    r = run_riommu("bench", "--help")
    assert r.returncode == 0
    missing = "(not in this build)" in r.stdout
    if not missing:
        pytest.skip("riommu built with Verilator: the section is there")
    r = run_riommu("bench", "--rtl", *TINY)
    assert r.returncode == 2 and NO_RTL in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--rtl", "--size", "0"], "--size: '0' is not a positive whole number"),
    (["--rtl", "--repeat", "0"], "--repeat: '0' is not a whole number from 1 to 1000"),
    (["--rtl", "--seconds", "-1"], "--seconds: '-1' is not a positive number of seconds"),
    (["--rtl", "--seconds"], "--seconds needs an argument"),
    (["--model-nonsense"], "unknown option '--model-nonsense'"),
    (["rtl"], "unexpected argument 'rtl'"),
])
def test_bench_usage_errors(run_riommu, args, message):
    """bench.h exit status 2 on usage errors, with the reason, nothing run."""
    r = run_riommu("bench", *args)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""


def test_bench_in_help(run_riommu):
    """`riommu --help` lists the command; `riommu help bench` is its usage."""
    assert "bench [--model] [--scaling] [--rtl]" in run_riommu("--help").stdout
    r = run_riommu("help", "bench")
    assert r.returncode == 0 and r.stdout.startswith("usage: riommu bench")
