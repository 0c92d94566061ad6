"""`--wave FILE` and the RTL cycle in mismatch reports (issue 6;
docs/rtl-harness.md "Waveforms" and "Cycles and waveforms in reports").

The mismatch is a real one between a model and the verilated DUT, not an
injected one: after an unmap without invalidation (`nosync`, spec
"IOTINVAL.VMA": until it runs the IOMMU may keep translating through a
cached entry) eight other pages are read. model2's 4-entry IOTLB has
evicted the stale entry, so its read of the unmapped IOVA faults; the
DUT's 16-entry IOTLB still holds it and the read succeeds. Both are
allowed; the engine reports the difference, which is all this needs.
(A model with a defect cannot be the reference: --backends refuses it.)
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import RUN_TIMEOUT_S, require_binary

NO_RTL = "built without Verilator"
FINAL = re.compile(r"^mismatches: (\d+), waived: (\d+), skipped: (\d+)$", re.M)
# the record of the stale read and its clock line
STATUS = re.compile(r"^MISMATCH: backend rtl, step \d+, t=\d+ us: dma-status dma status: "
                    r"expected 0x1, got 0x0\n  rtl: cycles (\d+)\.\.(\d+)(.*)$", re.M)
WINDOW = re.compile(r"^; waveform (\S+) cycles (\d+)\.\.(\d+)$")


def stale_scenario() -> str:
    lines = ["init", "probe dev 0x90", "domain dom", "attach dev dom",
             "map dom 0x3000 0x100003000 4K"]
    pages = [0x10000 + i * 0x1000 for i in range(8)]
    lines += [f"map dom {va:#x} {0x100000000 + va:#x} 4K" for va in pages]
    lines += ["dma dev read 0x3000 8 expect ok pa 0x100003000",
              "unmap dom 0x3000 4K nosync"]
    lines += [f"dma dev read {va:#x} 8 expect ok" for va in pages]
    # what model2 (the reference) does; the DUT still hits its stale entry
    lines += ["dma dev read 0x3000 8 expect fault read-page-fault"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def have_rtl(build_dir: Path):
    """Skip (with the reason) when riommu was built without Verilator."""
    riommu = require_binary(build_dir, "riommu")
    r = subprocess.run([str(riommu), "random", "--seeds", "1", "--backends", "model,rtl"],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    if NO_RTL in r.stdout + r.stderr:
        pytest.skip("riommu built without Verilator: no rtl backend")
    return True


@pytest.fixture
def riommu_in(build_dir: Path):
    """Run riommu with `cwd` as the working directory."""

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
        riommu = require_binary(build_dir, "riommu")
        return subprocess.run([str(riommu), *args], cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              check=False)

    return run


def fst_end_time(path: Path) -> int:
    """Check the FST header block (fstapi.c fstWriterEmitHdrBytes: tag 0,
    section length 329, start time, end time, ..., timescale at +73) and
    return its end time, in units of 1 ps (the DUT's precision)."""
    b = path.read_bytes()
    assert len(b) > 330, f"{path}: {len(b)} bytes"
    assert b[0] == 0, "no FST header block"
    assert int.from_bytes(b[1:9], "big") == 329
    assert int.from_bytes(b[9:17], "big") == 0
    assert b[73] == (-12) & 0xFF, "timescale is not 1 ps"
    return int.from_bytes(b[17:25], "big")


def stale_record(out: str):
    m = STATUS.search(out)
    assert m, out[-3000:]
    return int(m.group(1)), int(m.group(2)), m.group(3)


def test_run_wave_names_the_cycle_and_the_window(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Cycles and waveforms in reports": the rtl
    record names the cycles of the DMA that differed and the waveform
    window (100 cycles each side) in the FST file --wave wrote; the JSON
    report carries the same numbers; the file's time axis is one cycle per
    nanosecond (the window is where a viewer shows it)."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    r = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "--wave", "w.fst",
                  "--report", "r.json", "stale.scn")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    first, last, rest = stale_record(r.stdout)
    assert 8 < first < last, out
    w = WINDOW.match(rest)
    assert w, rest
    assert (w.group(1), int(w.group(2)), int(w.group(3))) == ("w.fst", first - 100, last + 100)
    assert "waveform: " not in r.stdout  # it has one
    # every rtl record has a clock line, each with the window
    records = re.findall(r"^MISMATCH: backend rtl, .*\n(  rtl: .*)$", r.stdout, re.M)
    assert records and all("; waveform w.fst cycles " in x for x in records), r.stdout

    end = fst_end_time(tmp_path / "w.fst")
    assert end >= last * 1000 + 500, (end, last)  # cycle N at N ns

    doc = json.loads((tmp_path / "r.json").read_text())
    case = doc["cases"][0]
    assert case["wave"] == "w.fst" and case["wave_reproduce"] is None
    rec = next(x for x in case["records"] if x["kind"] == "dma-status")
    assert rec["backend"] == "rtl"
    assert rec["cycles"] == [first, last]
    assert rec["wave_cycles"] == [first - 100, last + 100]


def test_run_without_wave_prints_the_command_that_writes_one(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Cycles and waveforms in reports": without
    --wave the report still names the cycle, and after `reproduce:` a
    `waveform:` line gives the command with --wave; that command writes the
    file and reports the same cycles (the run is deterministic)."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    r = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "stale.scn")
    assert r.returncode == 1, r.stdout + r.stderr
    first, last, rest = stale_record(r.stdout)
    assert rest == ""
    m = re.search(r"^reproduce: (.*)\nwaveform: (riommu run .*)$", r.stdout, re.M)
    assert m, r.stdout
    assert m.group(2) == "riommu run --backends model2,rtl stale.scn --wave stale.fst"
    again = riommu_in(tmp_path, *m.group(2).split()[1:])
    assert again.returncode == 1, again.stdout + again.stderr
    assert stale_record(again.stdout)[:2] == (first, last)
    fst_end_time(tmp_path / "stale.fst")
    doc_r = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "--report", "n.json",
                      "stale.scn")
    assert doc_r.returncode == 1
    case = json.loads((tmp_path / "n.json").read_text())["cases"][0]
    assert case["wave"] is None and case["wave_reproduce"] == m.group(2)
    assert [x["cycles"] for x in case["records"] if x["kind"] == "dma-status"] == [[first, last]]


def test_replay_wave(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Waveforms": `riommu replay --wave` on a trace
    of the run: the same records at the same cycles, and the waveform."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    run = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "--trace", "t.trace",
                    "stale.scn")
    assert run.returncode == 1, run.stdout + run.stderr
    rep = riommu_in(tmp_path, "replay", "t.trace", "--backends", "model2,rtl",
                    "--wave", "rp.fst")
    assert rep.returncode == 1, rep.stdout + rep.stderr
    assert stale_record(rep.stdout)[:2] == stale_record(run.stdout)[:2]
    assert "; waveform rp.fst cycles " in rep.stdout
    fst_end_time(tmp_path / "rp.fst")
    bare = riommu_in(tmp_path, "replay", "t.trace", "--backends", "model2,rtl")
    assert "waveform: riommu replay t.trace --backends model2,rtl --wave stale.fst" in bare.stdout


def test_random_wave_keeps_failing_seeds_only(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Waveforms": with several seeds, each seed that
    has mismatch records keeps FILE-seed-S.EXT and the others' are removed;
    with one seed FILE itself is written, failing or not. (The failures
    come from a defective second model; the rtl backend runs beside it.)"""
    lst = "model,model:defect=no-d-update,rtl"
    r = riommu_in(tmp_path, "random", "--seeds", "4-6", "--backends", lst, "-q",
                  "--wave", "w.fst")
    out = r.stdout + r.stderr
    m = re.search(r"3 run, (\d+) failed(?: \(seeds ([0-9, ]+)\))?", r.stdout)
    assert m, out[-2000:]
    failed = {int(s) for s in m.group(2).split(", ")} if m.group(2) else set()
    assert failed and len(failed) < 3, f"need failing and clean seeds, got {failed}: " + out
    kept = sorted(p.name for p in tmp_path.glob("*.fst"))
    assert kept == sorted(f"w-seed-{s}.fst" for s in failed), kept
    for name in kept:
        fst_end_time(tmp_path / name)

    one = riommu_in(tmp_path, "random", "--seeds", "1", "--backends", "model,rtl", "-q",
                    "--wave", "one.fst")
    assert one.returncode == 0, one.stdout + one.stderr
    fst_end_time(tmp_path / "one.fst")


def test_run_several_scenarios_one_waveform_each(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Waveforms": `run --wave FILE` over several
    scenarios writes FILE-NAME.EXT for each (NAME: the file name without
    .scn), clean or not; each record names its own scenario's file."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    (tmp_path / "clean.scn").write_text("init\nprobe dev 0x90\n")
    r = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "-q", "--wave", "out/w.fst",
                  "stale.scn", "clean.scn")
    assert r.returncode == 2, r.stdout + r.stderr  # no out/: the first cannot write
    assert "cannot write the waveform 'out/w-stale.fst'" in r.stderr, r.stderr
    (tmp_path / "out").mkdir()
    r = riommu_in(tmp_path, "run", "--backends", "model2,rtl", "-q", "--wave", "out/w.fst",
                  "stale.scn", "clean.scn")
    assert r.returncode == 1, r.stdout + r.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["w-clean.fst",
                                                                   "w-stale.fst"]
    assert stale_record(r.stdout)[2].startswith("; waveform out/w-stale.fst cycles ")
    for p in (tmp_path / "out").iterdir():
        fst_end_time(p)


@pytest.mark.parametrize("cmd", [
    ["run", "--backends", "model,model2", "--wave", "x.fst", "stale.scn"],
    ["run", "--wave", "x.fst", "stale.scn"],
    ["random", "--seeds", "1", "--wave", "x.fst"],
    ["replay", "t.trace", "--backends", "model", "--wave", "x.fst"],
], ids=["run-no-rtl", "run-no-backends", "random", "replay"])
def test_wave_needs_an_rtl_backend(riommu_in, tmp_path, cmd):
    """docs/rtl-harness.md "Waveforms": --wave without rtl in --backends is
    a usage error (exit 2) that says so; nothing is written."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    (tmp_path / "t.trace").write_text("")
    r = riommu_in(tmp_path, *cmd)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--wave FILE needs an rtl backend in --backends" in r.stderr
    assert not (tmp_path / "x.fst").exists()


def test_wave_that_cannot_be_written(have_rtl, riommu_in, tmp_path):
    """docs/rtl-harness.md "Waveforms": a file that cannot be created stops
    the run (exit 2) naming the file and the reason."""
    (tmp_path / "stale.scn").write_text(stale_scenario())
    r = riommu_in(tmp_path, "run", "--backends", "model,rtl", "--wave", "no/such/dir/w.fst",
                  "stale.scn")
    assert r.returncode == 2, r.stdout + r.stderr
    assert ("cannot write the waveform 'no/such/dir/w.fst': No such file or directory"
            in r.stderr), r.stderr


@pytest.mark.parametrize("cmd", ["run", "random", "replay"])
def test_help_documents_wave(run_riommu, cmd):
    """The help of each command that takes --wave documents it."""
    r = run_riommu(cmd, "--help")
    assert r.returncode == 0
    assert "--wave FILE" in r.stdout
