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
    assert list(json.loads(r.stdout)["sections"]) == ["model", "rtl"]


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


# ---- the model sections (issue 7 "Benchmarks", docs/timing.md "Measured scaling") ----

MODEL_TINY = ["--size", "3000", "--repeat", "1"]
WORKLOADS = ["iotlb_hit", "sv39_miss", "sv48_miss", "sv57_miss", "ddtc_miss", "commands"]


@pytest.fixture(scope="module")
def model_json(build_dir: Path):
    """One tiny `riommu bench --model --json` run shared by the checks below."""
    riommu = require_binary(build_dir, "riommu")
    r = subprocess.run([str(riommu), "bench", "--model", "--json", *MODEL_TINY],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["riommu_bench"] == 1 and list(doc["sections"]) == ["model"]
    return doc["sections"]["model"]


def test_bench_model_text(run_riommu):
    """Issue 7 "Benchmarks": one run prints, for the functional and the timed
    mode, every workload's rate; the footprint; and the three bounds, each
    with its target and PASS or BELOW."""
    r = run_riommu("bench", "--model", *MODEL_TINY)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.splitlines()[0] == "riommu bench --model"
    for mode in ("functional (timing.enable=false)", "timed (timing layer on, defaults)"):
        for title in ("IOTLB hits (Sv39, 64 pages, one device)",
                      "Sv39 misses (full 3-level walks, walk cache off)",
                      "Sv57 misses (full 5-level walks, walk cache off)",
                      "DDTC misses (3-level DDT, 4096 devices, IOTLB hits)",
                      "commands (3 IOTINVAL.VMA : 1 IOFENCE.C)"):
            assert title in out
    assert re.search(r"^      per second of CPU time\s+\d+\.\d\d M/s$", out, re.M), out
    assert re.search(r"^    IOTLB hits/s\s+\d+\.\d\d M/s \(target >= 100 M/s\) (PASS|BELOW)$",
                     out, re.M), out
    assert re.search(r"^    Sv39 misses/s\s+\d+\.\d\d M/s \(target >= 20 M/s\) (PASS|BELOW)$",
                     out, re.M), out
    assert re.search(r"^    timed slowdown \(worst\)\s+\d+\.\d\d x \(target <= 1\.50 x\) "
                     r"(PASS|BELOW)$", out, re.M), out
    assert re.search(r"^    total heap\s+\d+\.\d\d MiB$", out, re.M), out
    assert "--model commands:" in r.stderr and "--model" not in out.splitlines()[1]


def test_bench_model_json_counts(model_json):
    """Issue 7 "Benchmarks": every run did what its title says, by the
    model's own statistics: hits all hit, misses all walked every level,
    DDTC misses all walked the DDT, commands all executed."""
    ck = model_json["checked"]
    for mode in ("functional", "timed"):
        assert list(model_json[mode]) == WORKLOADS
        for w in WORKLOADS:
            fig = model_json[mode][w]
            assert fig["ops"] == 3000 and fig["cpu_s"] > 0 and fig["wall_s"] > 0
            assert fig["per_s"] == pytest.approx(fig["ops"] / fig["cpu_s"])
            assert fig["ns_per_op"] == pytest.approx(fig["cpu_s"] / fig["ops"] * 1e9)
        assert model_json["functional"]["iotlb_hit"]["cycles_per_op"] == 0
    timed = model_json["timed"]
    assert timed["iotlb_hit"]["cycles_per_op"] > 0
    assert timed["sv57_miss"]["cycles_per_op"] > timed["sv39_miss"]["cycles_per_op"]
    n = 3000
    assert ck["iotlb_hit"] == {"translations_ok": n, "iotlb_hits": n, "s1_walks": 0,
                               "pte_reads": 0, "ddt_walks": 0, "ddtc_hits": n}
    for w, levels in (("sv39_miss", 3), ("sv48_miss", 4), ("sv57_miss", 5)):
        assert ck[w] == {"translations_ok": n, "iotlb_hits": 0, "s1_walks": n,
                         "pte_reads": levels * n, "ddt_walks": 0, "ddtc_hits": n}
    assert ck["ddtc_miss"] == {"translations_ok": n, "iotlb_hits": n, "s1_walks": 0,
                               "pte_reads": 0, "ddt_walks": n, "ddtc_hits": 0}
    assert ck["commands"] == {"commands": n, "illegal": 0}


def test_bench_model_json_targets_and_footprint(model_json, build_dir):
    """bench.h: targets are {value, op, bound, pass} with pass agreeing; the
    rates are per CPU second of the functional runs, the slowdown the worst
    timed/functional ratio. Issue 7: the footprint of a 2^24-ID sparse DDT
    and 1M mapped pages, checked by translating through it."""
    t = model_json["targets"]
    f = model_json["functional"]
    assert t["iotlb_hit_per_s"] == {"value": f["iotlb_hit"]["per_s"], "op": ">=",
                                    "bound": 100e6, "pass": f["iotlb_hit"]["per_s"] >= 100e6}
    assert t["sv39_miss_per_s"] == {"value": f["sv39_miss"]["per_s"], "op": ">=",
                                    "bound": 20e6, "pass": f["sv39_miss"]["per_s"] >= 20e6}
    worst = max(model_json["slowdown"].values())
    assert t["timed_slowdown"]["value"] == pytest.approx(worst)
    assert t["timed_slowdown"]["pass"] == (worst <= 1.5)
    for w in WORKLOADS:
        assert model_json["slowdown"][w] == pytest.approx(
            model_json["timed"][w]["cpu_s"] / f[w]["cpu_s"])
    fp = model_json["footprint"]
    assert fp["contexts"] == 4096 and fp["pages_mapped"] == 1 << 20
    assert fp["translations_checked"] == 4096
    # 2048 leaf tables for 1M pages, a leaf DDT page per context (spread)
    assert 2048 + 4096 < fp["host_pages"] < 8000
    assert fp["host_mib"] >= fp["host_pages"] * 4096 / 2**20
    assert fp["total_mib"] == pytest.approx(fp["model_mib"] + fp["host_mib"])
    cache = build_dir / "CMakeCache.txt"
    if not (cache.exists() and "RIOMMU_SANITIZE:BOOL=ON" in cache.read_text()):
        # ASan's allocator keeps mallinfo2 at 0: there the model's own
        # heap is not measured (0) and the host figure is its pages alone
        assert 0 < fp["model_mib"] < 1


def test_bench_scaling(run_riommu):
    """docs/timing.md "Measured scaling": --scaling (only when asked for)
    gives a row per working set; the hit rates step down exactly past the
    IOTLB (256 entries) and the DDTC (64), and a walk reads every level
    without the walk cache, only the leaf with it."""
    r = run_riommu("bench", "--scaling", "--json", "--size", "2000", "--repeat", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(r.stdout)["sections"]
    assert list(s) == ["scaling"]
    pages, devs, walks = s["scaling"]["pages"], s["scaling"]["devices"], s["scaling"]["walks"]
    assert pages["64"]["iotlb_hit_pct"] == 100 and pages["256"]["iotlb_hit_pct"] == 100
    assert pages["512"]["iotlb_hit_pct"] == 0 and pages["262144"]["iotlb_hit_pct"] == 0
    assert pages["512"]["pte_reads_per_op"] == pytest.approx(1, abs=0.01)  # walk cache
    assert pages["262144"]["pte_reads_per_op"] > 1        # past its reach
    assert devs["64"]["ddtc_hit_pct"] == 100 and devs["128"]["ddtc_hit_pct"] == 0
    for k, levels in (("sv39", 3), ("sv48", 4), ("sv57", 5)):
        assert walks[k + "_full"]["pte_reads_per_op"] == levels
        # level-1 entries hit; a rare set conflict in the 4-way walk cache
        assert walks[k + "_walkc"]["pte_reads_per_op"] == pytest.approx(1, abs=0.01)
        assert walks[k + "_full"]["iotlb_hit_pct"] == 0
    for row in [*pages.values(), *devs.values(), *walks.values()]:
        assert row["functional_per_s"] > 0 and row["timed_per_s"] > 0
    # not part of a plain `riommu bench`
    r = run_riommu("bench", "--model", "--json", *MODEL_TINY)
    assert "scaling" not in json.loads(r.stdout)["sections"]
