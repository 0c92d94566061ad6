"""`riommu run --trace FILE` and `riommu replay TRACE --backends LIST`
(docs/trace.md; issue 5 "lockstep co-simulation": the trace records every
shim operation, a replay re-issues it to any backends without the driver).
Each test names the behaviour it checks."""

import json
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import require_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
SCN_DIR = REPO_ROOT / "tests" / "scenarios"
GOOD = sorted(SCN_DIR.glob("*.scn"))
QEMU_SCN = sorted((SCN_DIR / "qemu").glob("*.scn"))
QEMU_WAIVERS = REPO_ROOT / "tests" / "cosim" / "qemu-10.0.waivers"
QEMU = shutil.which("qemu-system-riscv64")
FINAL = re.compile(r"^mismatches: (\d+), waived: (\d+), skipped: (\d+)$")
RECORD = re.compile(r"^(?:MISMATCH|WAIVED): .*$", re.M)


def final(out: str):
    last = out.rstrip("\n").splitlines()[-1]
    m = FINAL.match(last)
    assert m, f"last line is {last!r}"
    return tuple(int(g) for g in m.groups())


def describe(r) -> str:
    return f"exit {r.returncode}\n--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-2000:]}"


@pytest.fixture
def record(run_riommu, tmp_path):
    """record(*scenarios, backends=None) -> path of the trace `riommu run
    --trace` wrote (the run must not fail to build its world)."""

    def rec(*scenarios, backends=None, name="t.trace"):
        path = tmp_path / name
        args = ["run", "-q", "--trace", str(path)]
        if backends:
            args += ["--backends", backends]
        r = run_riommu(*args, *map(str, scenarios))
        assert r.returncode in (0, 1), describe(r)
        return path

    return rec


# ---- every scenario, replayed -------------------------------------------------------

@pytest.mark.parametrize("scn", GOOD, ids=[p.stem for p in GOOD])
def test_each_scenario_replays_clean_on_the_model(run_riommu, record, scn):
    """A trace of the embedded model (`world model`) replayed on the model
    through the lockstep engine reproduces every recorded register value,
    consumed byte and DMA response: 0 mismatches, exit 0."""
    t = record(scn)
    r = run_riommu("replay", str(t), "--backends", "model")
    assert r.returncode == 0, describe(r)
    assert final(r.stdout) == (0, 0, 0)
    assert f"{scn}: replayed " in r.stdout


def test_corpus_trace_replays_on_two_model_geometries(run_riommu, record):
    """One trace for the whole corpus (one section per scenario) replays on
    model,model2 (other caches and timing) with 0 mismatches (docs/cosim.md
    rules 1-5 applied to a replay)."""
    t = record(*GOOD)
    text = t.read_text()
    assert text.startswith("riommu-trace 1\n")
    assert text.count("\nscenario ") == len(GOOD)
    assert text.count("\nend\n") == len(GOOD)
    r = run_riommu("replay", "-q", str(t), "--backends", "model,model2")
    assert r.returncode == 0, describe(r)
    assert final(r.stdout) == (0, 0, 0)


def test_polling_loops_are_folded(record):
    """docs/trace.md "Folding": the fence that never completes in the kexec
    scenario (1.8 million polls) takes a handful of lines."""
    t = record(SCN_DIR / "22_kexec_stale_cqt.scn")
    text = t.read_text()
    assert re.search(r"^again 2 \d{6}$", text, re.M), text[-2000:]
    assert len(text.splitlines()) < 400


@pytest.mark.parametrize("defect", ["wrong-cause", "wrong-did", "ignore-pscid-inval"])
def test_replay_finds_the_defects_run_finds(run_riommu, record, defect):
    """Fault injection through a trace: a model trace replayed beside a
    defective model reports mismatches (exit 1) with a replay reproduction
    command; the same records `riommu run --backends` finds."""
    lst = f"model,model:defect={defect}"
    t = record(*GOOD)
    rep = run_riommu("replay", "-q", str(t), "--backends", lst)
    assert rep.returncode == 1, describe(rep)
    n, w, _ = final(rep.stdout)
    assert n > 0 and w == 0
    assert f"reproduce: riommu replay {t} --backends {lst}" in rep.stdout
    run = run_riommu("run", "-q", "--backends", lst, *map(str, GOOD))
    assert final(run.stdout)[0] == n
    if defect == "wrong-cause":
        assert "dma-cause" in rep.stdout


def test_lockstep_trace_replays_identically(run_riommu, record, tmp_path):
    """A trace recorded with --backends model,model:defect=wrong-cause
    replays to the very same records and counts, and replaying a
    model,model2 trace with --trace gives back the same file byte for byte
    (round-trip determinism)."""
    lst = "model,model:defect=wrong-cause"
    t = record(*GOOD, backends=lst)
    run = run_riommu("run", "-q", "--backends", lst, *map(str, GOOD))
    rep = run_riommu("replay", "-q", str(t), "--backends", lst)
    assert final(rep.stdout) == final(run.stdout)
    assert RECORD.findall(rep.stdout) == RECORD.findall(run.stdout) != []
    t2 = record(*GOOD, backends="model,model2", name="mm2.trace")
    again = tmp_path / "again.trace"
    r = run_riommu("replay", "-q", str(t2), "--backends", "model,model2", "--trace", str(again))
    assert r.returncode == 0, describe(r)
    assert again.read_bytes() == t2.read_bytes()
    r = run_riommu("replay", "-q", str(t2))
    assert r.returncode == 0 and final(r.stdout) == (0, 0, 0), describe(r)


def test_reports_from_a_replay(run_riommu, record, tmp_path):
    """--report and --junit of a replay: one case per section, the same
    renderers as `riommu run --backends`."""
    t = record(*GOOD[:3])
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    r = run_riommu("replay", "-q", str(t), "--backends", "model,model:defect=wrong-cause",
                   "--report", str(js), "--junit", str(xml))
    doc = json.loads(js.read_text())
    assert [c["name"] for c in doc["cases"]] == [str(p) for p in GOOD[:3]]
    assert doc["totals"]["mismatches"] == final(r.stdout)[0]
    assert doc["cases"][0]["reproduce"].startswith(f"riommu replay {t} --backends ")
    suite = ET.parse(xml).getroot()
    assert len(suite.findall(".//testcase")) == 3


def test_stats_and_timing_from_a_replay(run_riommu, record, tmp_path):
    """--stats and --timing-compare of a replay (docs/stats.md "The run
    file", docs/timing.md "Calibrating to a design"): one program per
    section with every model backend's statistics, the timing comparison
    in the run file and on stdout, the CSV's rows, and a run file that
    `riommu report` renders."""
    t = record(*GOOD[:3])
    js, csv_path, html = tmp_path / "run.json", tmp_path / "p.csv", tmp_path / "r.html"
    r = run_riommu("replay", "-q", str(t), "--backends", "model,model2", "--stats", str(js),
                   "--timing-csv", str(csv_path))
    assert r.returncode == 0, describe(r)
    doc = json.loads(js.read_text())
    assert doc["command"] == "riommu replay" and doc["backends"] == "model,model2"
    assert [p["name"] for p in doc["programs"]] == [str(p) for p in GOOD[:3]]
    for p in doc["programs"]:
        assert [b["name"] for b in p["backends"]] == ["model", "model2"]
        assert p["backends"][0]["stats"]["iommu.xlate.count"] > 0
        assert p["steps"] > 0 and p["cycles"] > 0
    tc = doc["timing_compare"]["backends"][0]
    m = re.search(r"^timing compare model vs model2: (\d+) DMAs", r.stdout, re.M)
    assert m and int(m.group(1)) == tc["dmas"] > 0
    assert len(csv_path.read_text().splitlines()) == tc["dmas"] + 1
    rep = run_riommu("report", str(js), "-o", str(html))
    assert rep.returncode == 0, rep.stderr
    assert 'id="timing"' in html.read_text()
    bad = run_riommu("replay", str(t), "--stats", str(tmp_path / "x.xml"))
    assert bad.returncode == 2 and "--stats FILE" in bad.stderr
    one = run_riommu("replay", str(t), "--timing-compare")
    assert one.returncode == 2 and "needs a second backend" in one.stderr


# ---- hand-edited traces -----------------------------------------------------------------

def edit_line(path: Path, pattern: str, change) -> int:
    """Apply change(line) to the first line matching pattern; its number."""
    lines = path.read_text().split("\n")
    for i, line in enumerate(lines):
        if re.match(pattern, line):
            lines[i] = change(line)
            path.write_text("\n".join(lines))
            return i + 1
    raise AssertionError(f"no line matches {pattern}")


@pytest.mark.parametrize("pattern,change,where", [
    # a register value the reference returned (fctl is not time-dependent)
    (r"^r32 fctl@0x008 -> 0x0$", lambda l: l.replace("-> 0x0", "-> 0x2"), "fctl@0x008"),
    # a DMA response: the fault cause (ds "Process to translate an IOVA")
    (r"^dma .* -> fault 15 recorded$", lambda l: l.replace("fault 15", "fault 13"), "dma cause"),
    # the translated address of a successful DMA
    (r"^dma .* -> ok pa 0x100000010 ", lambda l: l.replace("pa 0x100000010", "pa 0x100000018"),
     "dma pa"),
    # a fault record the driver consumed (q "Fault/Event-Queue")
    (r"^consume 0x80040000 32 -> 0f", lambda l: l.replace("-> 0f", "-> 0d"), "memory 0x80040000"),
])
def test_edited_observation_is_exactly_one_mismatch(run_riommu, record, pattern, change, where):
    """Changing one recorded observation makes the replay report exactly
    one `expectation` record, whose `where` names the trace line and what
    differs."""
    t = record(SCN_DIR / "03_paging_4k.scn")
    line = edit_line(t, pattern, change)
    r = run_riommu("replay", str(t))
    assert r.returncode == 1, describe(r)
    assert final(r.stdout)[0] == 1
    recs = RECORD.findall(r.stdout)
    assert len(recs) == 1 and f"expectation line {line}: {where}" in recs[0], recs


def test_time_dependent_reads_of_the_model_world_are_not_held_to_the_trace(run_riommu, record):
    """docs/trace.md "Two worlds": on the embedded model the driver saw
    cqcsr busy; the engine reads it settled, so that recorded value is not
    compared (the backends still are)."""
    t = record(SCN_DIR / "03_paging_4k.scn")
    assert "r32 cqcsr@0x048 -> 0x20003" in t.read_text()
    r = run_riommu("replay", str(t))
    assert r.returncode == 0, describe(r)


def test_allocation_elsewhere_is_an_error(run_riommu, record):
    """A trace whose allocation the engine cannot place at the recorded
    address exits 2 with TRACE:LINE."""
    t = record(SCN_DIR / "03_paging_4k.scn")
    line = edit_line(t, r"^alloc 4096 4096 -> 0x80000000$",
                     lambda l: l.replace("0x80000000", "0x80001000"))
    r = run_riommu("replay", str(t))
    assert r.returncode == 2, describe(r)
    assert r.stderr.startswith(f"{t}:{line}: the allocation of 4096 bytes got 0x80000000")


def test_model_trace_is_not_run_on_qemu(run_riommu, record):
    """A model trace has the default configuration, not QEMU's parameters:
    as `riommu run` does for a program QEMU cannot run, the replay leaves
    qemu out (one skipped step, a note) without starting it."""
    t = record(SCN_DIR / "03_paging_4k.scn")
    r = run_riommu("replay", str(t), "--backends", "model,qemu")
    assert r.returncode == 0, describe(r)
    assert "skipped: not run on qemu: the section's configuration is not QEMU's" in r.stdout
    assert final(r.stdout) == (0, 0, 1)


def test_qemu_trace_window_must_clear_the_parked_hart(run_riommu, record):
    """A section with QEMU's parameters whose DMA window starts at
    0x80000000, which QEMU reserves: a clear error, exit 2 (no QEMU needed
    to find out)."""
    t = record(SCN_DIR / "divergences" / "qemu-05-cached-perm.scn")
    edit_line(t, r"^window 0x80100000 ", lambda l: l.replace("0x80100000", "0x80000000"))
    r = run_riommu("replay", str(t), "--backends", "model,qemu")
    assert r.returncode == 2
    assert re.match(rf"^{re.escape(str(t))}:\d+: cannot build the world: the DMA window",
                    r.stderr), r.stderr


# ---- malformed traces, usage ----------------------------------------------------------

HEAD = "riommu-trace 1\nscenario s\nworld model\nwindow 0x80000000 0x10000000\n"


@pytest.mark.parametrize("text,line,needle", [
    ("", 1, "empty file"),
    ("riommu-trace 9\n", 1, "not supported"),
    (HEAD + "config caps bogus\nend\n", 5, "unknown capability"),
    (HEAD + "config iotlb entries=3 assoc=2\nend\n", 5, "configuration rejected"),
    (HEAD + "at 1\nr32 0x0 -> 0\n", 6, "ends inside section"),
    (HEAD + "at 1\nmystery 1 2\nend\n", 6, "unknown record"),
    (HEAD + "at 1\nr32 0x0 -> 0\nagain 1 99999999999999\nend\n", 7, "out of range"),
    (HEAD + "at 1\nr32 0x0 -> 0\nagain 1 67108864\nend\n", 7, "budget"),
    (HEAD + "at 1\nmem-write 0x0 99999999999 00\nend\n", 6, "out of range"),
    (HEAD + "at 1\nconsume 0x80000000 32 -> 00\nend\n", 6, "outside every allocation"),
    (HEAD + "at 1\npublish 0x80000000 32 00\nend\n", 6, "outside every allocation"),
])
def test_malformed_trace_exits_2_with_file_and_line(run_riommu, tmp_path, text, line, needle):
    """A malformed trace (or one that cannot be replayed as written) prints
    TRACE:LINE: message on stderr, exit 2, no final line."""
    t = tmp_path / "bad.trace"
    t.write_text(text)
    r = run_riommu("replay", str(t))
    assert r.returncode == 2, describe(r)
    assert r.stderr.startswith(f"{t}:{line}: "), r.stderr
    assert needle in r.stderr, r.stderr
    assert "mismatches:" not in r.stdout


def test_malformed_trace_runs_nothing(run_riommu, record):
    """The trace is read completely before the replay starts: an error in
    the last section prints nothing for the first."""
    t = record(*GOOD[:2])
    with t.open("a") as f:
        f.write("scenario broken\nworld model\nwindow 0x80000000 0x10000000\nat 1\nbogus\nend\n")
    r = run_riommu("replay", str(t))
    assert r.returncode == 2
    assert r.stdout == ""


@pytest.mark.parametrize("args,needle", [
    ([], "which trace"),
    (["a", "b"], "one trace at a time"),
    (["--frob", "x"], "unknown option"),
    (["/nonexistent/t.trace"], "cannot open"),
    (["x", "--backends", "qemu,model"], "reference"),
    (["x", "--backends"], "needs an argument"),
    ([str(SCN_DIR)], "not a regular file"),
])
def test_replay_usage_errors(run_riommu, args, needle):
    r = run_riommu("replay", *args)
    assert r.returncode == 2
    assert needle in r.stderr, r.stderr


def test_help_lists_replay_and_trace(run_riommu):
    """`riommu --help` lists replay; `riommu replay --help` and `riommu run
    --help` document the trace options; --ops is the old printing flag."""
    top = run_riommu("--help")
    assert "replay TRACE" in top.stdout
    rh = run_riommu("replay", "--help")
    assert rh.returncode == 0 and "--backends LIST" in rh.stdout
    assert run_riommu("help", "replay").stdout == rh.stdout
    run = run_riommu("run", "--help")
    assert "--trace FILE" in run.stdout and "--ops" in run.stdout


def test_trace_never_overwrites_a_scenario(run_riommu):
    """`--trace` used to be a flag: `run --trace x.scn` is refused rather
    than overwriting the scenario with a trace."""
    scn = SCN_DIR / "01_identity_domain.scn"
    before = scn.read_bytes()
    r = run_riommu("run", "--trace", str(scn))
    assert r.returncode == 2 and "--ops" in r.stderr
    assert scn.read_bytes() == before


def test_unwritable_trace_exits_2(run_riommu):
    r = run_riommu("run", "-q", "--trace", "/nonexistent/dir/t.trace", str(GOOD[0]))
    assert r.returncode == 2 and "cannot write trace" in r.stderr


def test_random_seeds_record_and_replay(run_riommu, tmp_path):
    """`riommu random --trace FILE` writes one section per seed; the replay
    on the same backends ends with the same line (and --ops is the printing
    flag there too)."""
    t = tmp_path / "r.trace"
    lst = "model,model2"
    run = run_riommu("random", "-q", "--seeds", "1-4", "--backends", lst, "--trace", str(t))
    assert run.returncode == 0, describe(run)
    assert t.read_text().count("\nscenario seed-") == 4
    rep = run_riommu("replay", "-q", str(t), "--backends", lst)
    assert rep.returncode == 0, describe(rep)
    assert final(rep.stdout) == final(run.stdout)
    assert "--ops" in run_riommu("random", "--help").stdout


# ---- fuzzing: the trace is untrusted input --------------------------------------------------

def run_fuzzed(riommu: Path, path: Path, data: bytes):
    path.write_bytes(data)
    p = subprocess.run([str(riommu), "replay", "-q", str(path), "--backends", "model,model2"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
    err = p.stderr.decode("ascii", "replace")
    out = p.stdout.decode("ascii", "replace")
    assert p.returncode in (0, 1, 2), f"signal or crash: {p.returncode}\n{err}\n{data[:300]!r}"
    if p.returncode == 2:
        assert re.match(rf"^{re.escape(str(path))}:\d+: \S", err), (err, data[:300])
    else:
        assert FINAL.match(out.rstrip("\n").splitlines()[-1]), out[-500:]
    return p.returncode


def test_fuzzed_traces_never_crash_or_hang(build_dir, record, tmp_path):
    """Truncations, flipped bytes, junk lines, huge numbers, unknown records,
    huge repeat counts and absurd lengths: every mutated trace either
    replays (exit 0/1 with the final line) or exits 2 with TRACE:LINE,
    within the time limit."""
    riommu = require_binary(build_dir, "riommu")
    base = record(SCN_DIR / "03_paging_4k.scn", SCN_DIR / "22_kexec_stale_cqt.scn").read_bytes()
    lines = base.split(b"\n")
    rng = random.Random(20260222)
    target = tmp_path / "fuzz.trace"
    seen = set()
    junk_lines = [
        b"again 8 268435456", b"again 1 4294967296", b"again 0 1", b"again 1 0",
        b"r32 0xfff -> 0x0", b"r64 0xff8 -> 0xffffffffffffffff", b"w64 ddtp@0x010 0x4",
        b"dma 0xffffffff exec 0xffffffffffffffff 65536 -> bad-request",
        b"dma 0x10 write 0x0 65536 data 00 -> ok pa 0x0 range 0x0",
        b"alloc 67108864 4294967296 -> failed", b"map 0x0 67108864 -> ok",
        b"publish 0xffffffffffffffff 1 00", b"consume 0x0 1048576 -> -",
        b"mem-write 0x7ffffffffffff000 1048576 ff", b"step 35184372088832",
        b"delay 4294967295", b"settle", b"label 0x0 0xffffffffffffffff 1 x",
        b"scenario again", b"end", b"at 18446744073709551615", b"config seed 7",
        b"\x00\x01\x02", b"\xff" * 100, b"x" * 5000, b"#" * 10, b"",
    ]
    for i in range(220):
        kind = i % 5
        if kind == 0:  # truncate anywhere
            data = base[:rng.randrange(len(base))]
        elif kind == 1:  # flip bytes
            b = bytearray(base)
            for _ in range(rng.randrange(1, 6)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            data = bytes(b)
        elif kind == 2:  # insert a junk line
            ls = list(lines)
            ls.insert(rng.randrange(1, len(ls)), rng.choice(junk_lines))
            data = b"\n".join(ls)
        elif kind == 3:  # replace a number with a huge or odd one
            ls = list(lines)
            k = rng.randrange(1, len(ls))
            words = ls[k].split(b" ")
            nums = [j for j, w in enumerate(words) if re.fullmatch(rb"0x[0-9a-f]+|\d+", w)]
            if nums:
                words[rng.choice(nums)] = rng.choice(
                    [b"18446744073709551615", b"0xffffffffffffffff", b"99999999999999999999999",
                     b"0x" + b"f" * 40, b"0", b"-1", b"1e9", b"268435455"])
            ls[k] = b" ".join(words)
            data = b"\n".join(ls)
        else:  # swap or duplicate lines
            ls = list(lines)
            a, c = rng.randrange(1, len(ls)), rng.randrange(1, len(ls))
            if rng.randrange(2):
                ls[a], ls[c] = ls[c], ls[a]
            else:
                ls.insert(a, ls[c])
            data = b"\n".join(ls)
        seen.add(run_fuzzed(riommu, target, data))
    assert 2 in seen and (0 in seen or 1 in seen), seen


# ---- QEMU --------------------------------------------------------------------------------

@pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 not installed")
def test_qemu_replay_matches_the_run(run_riommu, record):
    """A trace recorded with --backends model,qemu replays on model,qemu to
    the same records, mismatches, waivers and skipped steps as the run."""
    lst = "model,qemu"
    t = record(*QEMU_SCN, backends=lst)
    w = ["--waivers", str(QEMU_WAIVERS)]
    run = run_riommu("run", "-q", "--backends", lst, *w, *map(str, QEMU_SCN))
    rep = run_riommu("replay", "-q", str(t), "--backends", lst, *w)
    assert rep.returncode == run.returncode, describe(rep)
    assert final(rep.stdout) == final(run.stdout)
    assert RECORD.findall(rep.stdout) == RECORD.findall(run.stdout)
