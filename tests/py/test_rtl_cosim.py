"""`riommu run/random --backends model,rtl`: the project's own RTL IOMMU
(rtl-harness/dut riommu_rtl_top, verilated) in lockstep with the reference
model (DESIGN.md §2.6, docs/rtl-harness.md "Running model,rtl", issue 6).

The model takes the DUT's implementation-defined parameters
(riommu_rtl_model_config: CAPS 0x0000_0C38_2900_CE10, CQ/FQ LOG2SZ-1 <= 15,
16 vectors, 16-entry IOTLB, 8-entry DDTC, no walk cache) with the program's
config lines applied on top; the DUT's configuration straps
(rtl-harness/dut/README.md "Configuration straps") are set to match. A
program the DUT cannot run (a capability it lacks, cache geometry, an
implementation choice it does not make, DMA with a process_id) is skipped
whole with a reason, never half run.

* every directed scenario runs on the DUT and agrees with the model: no
  unwaived mismatch;
* a configuration the straps cannot take is skipped, naming what is missing;
* random seeds 1-RANDOM_SEEDS (randgen_target_rtl: config lines limited to
  the straps, no pid/priv/exec DMA) agree with no mismatch.
"""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, RUN_TIMEOUT_S, require_binary

SCN_DIR = REPO_ROOT / "tests" / "scenarios"
CORPUS = sorted(SCN_DIR.glob("*.scn"))
FINAL = re.compile(r"^mismatches: (\d+), waived: (\d+), skipped: (\d+)$")
NO_RTL = "built without Verilator"

# Issue 6 asks for at least 300 seeds in `make test` (40 s on the
# development host; 1-1000 agreed when this was written).
RANDOM_SEEDS = 300


def final(out: str):
    last = out.rstrip("\n").splitlines()[-1]
    m = FINAL.match(last)
    assert m, f"last line is {last!r}"
    return tuple(int(g) for g in m.groups())


@pytest.fixture(scope="module")
def have_rtl(build_dir: Path):
    """Skip (with the reason) when riommu was built without Verilator."""
    riommu = require_binary(build_dir, "riommu")
    r = subprocess.run([str(riommu), "run", "--backends", "model,rtl",
                        str(SCN_DIR / "01_identity_domain.scn")],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    if NO_RTL in r.stdout + r.stderr:
        pytest.skip("riommu built without Verilator: no rtl backend")
    return True


@pytest.mark.parametrize("scn", CORPUS, ids=lambda p: p.name)
def test_corpus_on_model_rtl(have_rtl, run_riommu, scn: Path):
    """Directed corpus on model,rtl: every scenario runs on the DUT, its
    config lines (capabilities, DDT modes, queue limits, vectors, fixed
    PPNs: spec iommu registers "capabilities", "ddtp", "cqb"/"fqb",
    "icvec") set through the straps, and zero unwaived mismatches."""
    r = run_riommu("run", "--backends", "model,rtl", str(scn))
    out = r.stdout + r.stderr
    mism, _waived, skipped = final(r.stdout)
    assert mism == 0, out[-4000:]
    assert r.returncode == 0, out[-4000:]
    assert skipped == 0 and "not run on rtl" not in out, out[-2000:]


@pytest.mark.parametrize("line,missing", [
    ("config caps +HPM", "caps.HPM"),
    ("config caps +DBG", "caps.DBG"),
    ("config synchronous on", "asynchronous"),
    ("config iotval_page_offset off", "iotval"),
    ("config qemu", "config qemu"),
])
def test_unsupported_config_is_skipped_with_reason(have_rtl, run_riommu, tmp_path, line,
                                                   missing):
    """A configuration riommu_rtl_top's straps cannot take (a capability it
    lacks, an implementation choice it does not make; README.md
    "Configuration straps") leaves the rtl backend out with a reason naming
    it, and the model still runs the program."""
    scn = tmp_path / "cfg.scn"
    scn.write_text(f"{line}\ninit\nmmio read64 capabilities\n")
    r = run_riommu("run", "--backends", "model,rtl", str(scn))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-2000:]
    mism, _waived, skipped = final(r.stdout)
    assert (mism, skipped) == (0, 1), out[-2000:]
    assert "not run on rtl" in out and missing in out, out[-2000:]


def test_straps_follow_config_lines(have_rtl, run_riommu, tmp_path):
    """The DUT's registers follow the program's config lines (straps set
    before reset): capabilities without Sv57/Sv48 and with IGS=WSI, the
    cqb LOG2SZ-1 limit, icvec legalised below num_vectors and a hard-wired
    ddtp PPN read the same on model and rtl (spec iommu registers
    "capabilities", "cqb", "icvec", "ddtp"; each read is compared in
    lockstep and checked against the value written here)."""
    scn = tmp_path / "straps.scn"
    scn.write_text("\n".join([
        "config caps -Sv57 -Sv48 IGS=wsi",
        "config cq max-entries 8",
        "config num_vectors 3",
        "config ddt fixed-ppn 0x1234",
        "mmio read64 capabilities expect 0x00000c381900c210",
        "mmio write64 cqb 0x1f",
        "mmio read64 cqb expect 0x2",
        "mmio write64 icvec 0x3333",
        "mmio read64 icvec expect 0x2222",
        "mmio read64 ddtp expect 0x48d000",
        "mmio write64 ddtp 0x5555401",
        "settle",
        "mmio read64 ddtp expect 0x48d001",
        "",
    ]))
    r = run_riommu("run", "--backends", "model,rtl", str(scn))
    out = r.stdout + r.stderr
    assert final(r.stdout) == (0, 0, 0), out[-3000:]
    assert r.returncode == 0, out[-3000:]


def sanitized(build_dir: Path) -> bool:
    """True for the ASan+UBSan preset, where the verilated DUT runs about
    20 times slower."""
    cache = build_dir / "CMakeCache.txt"
    return cache.exists() and "RIOMMU_SANITIZE:BOOL=ON" in cache.read_text()


def test_random_seeds_on_model_rtl(have_rtl, run_riommu, build_dir):
    """Random seeds on model,rtl (randgen_target_rtl): every seed agrees
    (translation, faults and their records, queues, interrupts, A/D
    updates: spec "Process to translate an IOVA", "Fault/Event-Queue",
    "ipsr"). The sanitizer build runs the first 10 seeds only (its job is
    memory errors; the release build runs RANDOM_SEEDS)."""
    n = 10 if sanitized(build_dir) else RANDOM_SEEDS
    r = run_riommu("random", "--seeds", f"1-{n}", "--backends", "model,rtl")
    out = r.stdout + r.stderr
    assert final(r.stdout) == (0, 0, 0), out[-4000:]
    assert f"{n} run, 0 failed" in r.stdout, out[-2000:]
    assert r.returncode == 0, out[-2000:]


def test_replay_checks_the_section_configuration_for_rtl(have_rtl, run_riommu, tmp_path):
    """`riommu replay --backends model,rtl` (docs/trace.md, docs/rtl-harness.md
    "Running model,rtl"): a section recorded on model,rtl (its configuration
    the DUT's, with 15_queue_hw_limits' queue limits) replays on the DUT with
    the straps set from it and agrees; a section recorded on the model alone
    (the model's default capabilities, with HPM) leaves the rtl backend out,
    naming the capability the DUT lacks."""
    rtl_trace, model_trace = tmp_path / "rtl.trace", tmp_path / "model.trace"
    r = run_riommu("run", "--backends", "model,rtl", "--trace", str(rtl_trace),
                   str(SCN_DIR / "15_queue_hw_limits.scn"))
    assert final(r.stdout) == (0, 0, 0), (r.stdout + r.stderr)[-2000:]
    r = run_riommu("replay", str(rtl_trace), "--backends", "model,rtl")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and final(r.stdout) == (0, 0, 0), out[-2000:]
    assert "not run on rtl" not in out, out[-2000:]
    r = run_riommu("run", "--trace", str(model_trace), str(SCN_DIR / "03_paging_4k.scn"))
    assert final(r.stdout) == (0, 0, 0), (r.stdout + r.stderr)[-2000:]
    r = run_riommu("replay", str(model_trace), "--backends", "model,rtl")
    out = r.stdout + r.stderr
    assert r.returncode == 0 and final(r.stdout) == (0, 0, 1), out[-2000:]
    assert "not run on rtl" in out and "caps.HPM" in out, out[-2000:]
