"""`riommu run --backends LIST`: scenarios through the lockstep engine
(DESIGN.md §2.2-2.3, docs/cosim.md, issue 5)."""

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCN_DIR = REPO_ROOT / "tests" / "scenarios"
GOOD = sorted(SCN_DIR.glob("*.scn"))
QEMU_SCN = sorted((SCN_DIR / "qemu").glob("*.scn"))
QEMU_WAIVERS = REPO_ROOT / "tests" / "cosim" / "qemu-10.0.waivers"
FINAL = re.compile(r"^mismatches: (\d+), waived: (\d+), skipped: (\d+)$")


def final(out: str):
    last = out.rstrip("\n").splitlines()[-1]
    m = FINAL.match(last)
    assert m, f"last line is {last!r}"
    return tuple(int(g) for g in m.groups())


def test_directed_corpus_agrees_on_two_model_geometries(run_riommu, tmp_path):
    """Two models with different caches, replacement and timing agree on
    every functional result of the whole directed corpus."""
    report = tmp_path / "r.json"
    r = run_riommu("run", "-q", "--backends", "model,model2", "--report", str(report),
                   *map(str, GOOD))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert final(r.stdout) == (0, 0, 0)
    doc = json.loads(report.read_text())
    assert len(doc["cases"]) == len(GOOD)
    assert doc["totals"]["mismatches"] == 0


def test_without_backends_nothing_changes(run_riommu):
    """No --backends: the embedded model, as before (no co-simulation)."""
    r = run_riommu("run", "-q", str(GOOD[0]))
    assert r.returncode == 0
    assert "co-simulation" not in r.stdout
    assert final(r.stdout) == (0, 0, 0)


def test_defect_is_caught_and_reported(run_riommu, tmp_path):
    """A model with read/write page-fault causes swapped beside a correct
    one: a read page fault becomes a dma-cause mismatch, exit 1, in text,
    JSON and JUnit, with a reproduction command."""
    scn = SCN_DIR / "03_paging_4k.scn"
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    lst = "model,model:defect=wrong-cause"
    r = run_riommu("run", "-q", "--backends", lst, "--report", str(report),
                   "--junit", str(junit), str(scn))
    assert r.returncode == 1, r.stdout + r.stderr
    n, w, _ = final(r.stdout)
    assert n > 0 and w == 0
    assert "dma-cause" in r.stdout
    assert f"riommu run --backends {lst} {scn}" in r.stdout
    doc = json.loads(report.read_text())
    case = doc["cases"][0]
    assert case["backends"] == ["model", "model:defect=wrong-cause"]
    kinds = {rec["kind"] for rec in case["records"]}
    assert "dma-cause" in kinds, kinds
    assert doc["totals"]["mismatches"] == n
    suite = ET.parse(junit).getroot()
    cases = suite.iter("testcase")
    assert len(list(cases)) == 1
    assert suite.find("testcase/failure") is not None


def test_junit_parses_for_a_clean_run(run_riommu, tmp_path):
    junit = tmp_path / "r.xml"
    r = run_riommu("run", "-q", "--backends", "model,model2", "--junit", str(junit),
                   *map(str, GOOD[:3]))
    assert r.returncode == 0, r.stdout
    suite = ET.parse(junit).getroot()
    assert len(suite.findall(".//testcase")) == 3
    assert suite.find(".//failure") is None


def test_stop_at_first(run_riommu):
    scn = SCN_DIR / "03_paging_4k.scn"
    r = run_riommu("run", "-q", "--backends", "model,model:defect=wrong-cause",
                   "--stop-at-first", str(scn))
    assert r.returncode == 1
    assert final(r.stdout)[0] >= 1
    full = run_riommu("run", "-q", "--backends", "model,model:defect=wrong-cause", str(scn))
    assert final(r.stdout)[0] < final(full.stdout)[0]


@pytest.mark.parametrize("lst,needle", [
    ("model,foo", "unknown backend 'foo'"),
    ("model:defect=nope", "unknown defect 'nope'"),
    ("qemu,model", "must be a model"),
    ("model:defect=wrong-cause,model", "must not have defects"),
    ("model,,model2", "empty backend name"),
    ("", "empty list"),
])
def test_bad_backends_value(run_riommu, lst, needle):
    r = run_riommu("run", "--backends", lst, str(GOOD[0]))
    assert r.returncode == 2
    assert needle in r.stderr, r.stderr
    assert r.stdout == ""


def test_cosim_options_need_backends(run_riommu, tmp_path):
    r = run_riommu("run", "--report", str(tmp_path / "x.json"), str(GOOD[0]))
    assert r.returncode == 2
    assert "need --backends" in r.stderr


def test_bad_waiver_file(run_riommu, tmp_path):
    w = tmp_path / "w"
    w.write_text("oops backend=qemu\n")
    r = run_riommu("run", "--backends", "model,model2", "--waivers", str(w), str(GOOD[0]))
    assert r.returncode == 2
    assert str(w) in r.stderr


def test_waivers_count_without_hiding(run_riommu, tmp_path):
    """A waiver for the defect's records: waived, shown, exit 0 once every
    record is waived."""
    w = tmp_path / "w"
    w.write_text('did-flip backend=model:defect=wrong-did kind=any '
                 'spec="test" reason="deliberate defect"\n')
    scn = SCN_DIR / "03_paging_4k.scn"
    r = run_riommu("run", "-q", "--backends", "model,model:defect=wrong-did",
                   "--waivers", str(w), str(scn))
    assert r.returncode == 0, r.stdout + r.stderr
    n, waived, _ = final(r.stdout)
    assert n == 0 and waived > 0
    assert "WAIVED" in r.stdout and "did-flip" in r.stdout


QEMU = shutil.which("qemu-system-riscv64")


@pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 not installed")
def test_model_vs_qemu(run_riommu, tmp_path):
    """Issue 5 "make test runs the directed corpus on model+qemu": the whole
    corpus (tests/scenarios/*.scn and qemu/*.scn) in lockstep on the model
    (with QEMU's implementation-defined parameters, riommu_qemu_model_config)
    and QEMU 10.0's riscv-iommu-pci, with tests/cosim/qemu-10.0.waivers:
    zero unwaived mismatches. Every waived record names a rule of the file
    (each citing docs/divergences/qemu-10.0.md); a scenario QEMU cannot run
    (config lines, execute/process_id DMA, device IDs no bus-0 edu has,
    wired interrupts) is counted skipped once with its reason; and at least
    16 scenarios do run on both."""
    corpus = sorted(SCN_DIR.glob("*.scn")) + QEMU_SCN
    report = tmp_path / "q.json"
    r = run_riommu("run", "-q", "--backends", "model,qemu", "--waivers", str(QEMU_WAIVERS),
                   "--report", str(report), *map(str, corpus))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr
    n, waived, skipped = final(r.stdout)
    assert n == 0 and waived > 0
    not_run = re.findall(r"^(\S+): skipped: not run on qemu: (.+)$", r.stdout, re.M)
    assert len(not_run) == skipped
    assert all(why.strip() for _, why in not_run)
    assert len(corpus) - len(not_run) >= 16, not_run
    rules = {ln.split()[0] for ln in QEMU_WAIVERS.read_text().splitlines()
             if ln.strip() and not ln.startswith("#")}
    doc = json.loads(report.read_text())
    assert doc["totals"]["mismatches"] == 0
    recs = [rec for c in doc["cases"] for rec in c["records"]]
    assert recs and all(rec["waived"] and rec["waiver"] in rules for rec in recs)


@pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 not installed")
def test_model_vs_qemu_waivers_are_needed(run_riommu):
    """The waivers of the model,qemu corpus run are not decoration: without
    the file the same QEMU-compatible scenarios give unwaived records of the
    documented divergences (fault-record PV/TTYP, q "Fault/Event-Queue"; the
    capability bits the model does not implement, regs "capabilities")."""
    r = run_riommu("run", "-q", "--backends", "model,qemu", *map(str, QEMU_SCN))
    assert r.returncode == 1, r.stdout + r.stderr
    n, waived, _ = final(r.stdout)
    assert n >= len(QEMU_SCN) and waived == 0
    assert "mmio-read capabilities" in r.stdout and "fault-record +0" in r.stdout