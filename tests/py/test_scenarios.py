"""`riommu run`, the scenario corpus and `riommu decode` (docs/scenarios.md).

* every directed scenario in tests/scenarios/*.scn passes (exit 0, last line
  "mismatches: 0, waived: 0, skipped: 0") and says what it checks;
* every malformed scenario in tests/scenarios/bad/ is refused with the
  `FILE:LINE: message` its first line announces, exit 2, and nothing runs;
* a deliberately wrong expectation is reported and counted (exit 1);
* the default run shows the whole flow and its summary;
* `riommu decode` names the fields of known encodings (linux-driver.md 2.3);
* every command documents itself with --help;
* scenario files are untrusted: garbage and random statements never crash,
  hang or trip the sanitizers.
"""

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, RUN_TIMEOUT_S, require_binary

SCN_DIR = REPO_ROOT / "tests" / "scenarios"
GOOD = sorted(SCN_DIR.glob("*.scn"))
BAD = sorted((SCN_DIR / "bad").glob("*.scn"))
FAILING = SCN_DIR / "failing" / "one_mismatch.scn"
CLEAN = "mismatches: 0, waived: 0, skipped: 0"
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"runtime error:")


def _describe(result) -> str:
    return (f"exit {result.returncode}\n--- stdout (tail) ---\n"
            f"{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}")


def _last_line(result) -> str:
    lines = result.stdout.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


@pytest.fixture
def riommu_input(build_dir: Path):
    """Run `riommu` with arguments and bytes on stdin."""

    def run(data: bytes, *args: str) -> subprocess.CompletedProcess:
        riommu = require_binary(build_dir, "riommu")
        out = subprocess.run([str(riommu), *args], input=data, capture_output=True,
                             timeout=RUN_TIMEOUT_S, check=False)
        return subprocess.CompletedProcess(
            out.args, out.returncode, out.stdout.decode("utf-8", "replace"),
            out.stderr.decode("utf-8", "replace"))

    return run


# ---- the directed corpus ------------------------------------------------------

def test_corpus_is_large_enough():
    """The issue asks for at least 22 directed scenarios, and bad ones."""
    assert len(GOOD) >= 22, [p.name for p in GOOD]
    assert len(BAD) >= 10, [p.name for p in BAD]


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_directed_scenario_header(path: Path):
    """Each directed scenario opens with a comment block that says what it
    checks and cites the linux-driver.md section and the spec chapter."""
    header = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    text = "\n".join(header)
    assert len(header) >= 3, f"{path.name}: no header comment"
    assert "Checks:" in text, f"{path.name}: header does not say what it checks"
    assert "linux-driver.md" in text, f"{path.name}: no linux-driver.md section"
    assert "spec" in text, f"{path.name}: no spec section"


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_directed_scenario_passes(run_riommu, path: Path):
    """Each directed scenario runs clean: exit 0 and no mismatches."""
    result = run_riommu("run", str(path))
    assert result.returncode == 0, _describe(result)
    assert _last_line(result) == CLEAN, _describe(result)
    assert not re.search(r"^\S+:\d+: (expected|error)", result.stdout, re.M), _describe(result)


def test_whole_corpus_in_one_run(run_riommu):
    """All directed scenarios in one invocation: one summary line for all,
    every scenario reported, still clean."""
    result = run_riommu("run", "-q", *[str(p) for p in GOOD])
    assert result.returncode == 0, _describe(result)
    assert _last_line(result) == CLEAN, _describe(result)
    assert result.stdout.count("scenario ") == len(GOOD), _describe(result)


def _expected_error(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = re.match(r"# expect-error: (\d+): (.+)$", first)
    assert m, f"{path.name}: first line must be '# expect-error: LINE: MESSAGE'"
    return int(m.group(1)), m.group(2)


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_scenario_is_refused(run_riommu, path: Path):
    """A malformed scenario exits 2 with exactly `FILE:LINE: message` on
    stderr (the line and message its first comment announces) and nothing
    runs (no step log, no summary line on stdout)."""
    line, msg = _expected_error(path)
    result = run_riommu("run", str(path))
    assert result.returncode == 2, _describe(result)
    assert result.stderr.strip() == f"{path}:{line}: {msg}", _describe(result)
    assert result.stdout == "", _describe(result)


def test_bad_scenario_stops_good_ones_from_running(run_riommu):
    """Parsing happens fully before anything runs: a good scenario listed
    before a bad one does not run at all."""
    result = run_riommu("run", str(GOOD[0]), str(BAD[0]))
    assert result.returncode == 2, _describe(result)
    assert result.stdout == "", _describe(result)
    assert f"{BAD[0]}:" in result.stderr, _describe(result)


def test_wrong_expectation_is_a_mismatch(run_riommu):
    """A scenario with one deliberately wrong expectation: exit 1, the
    failure printed as `file:line: expected ..., got ...`, and the last line
    counts it."""
    result = run_riommu("run", str(FAILING))
    assert result.returncode == 1, _describe(result)
    assert _last_line(result) == "mismatches: 1, waived: 0, skipped: 0", _describe(result)
    assert f"{FAILING}:11: expected pa 0x100002008, got 0x100001008" in result.stdout, \
        _describe(result)


def test_failed_step_stops_the_scenario(riommu_input):
    """A step that cannot run (a driver verb after an init that failed
    unexpectedly) is reported as `file:line: error: ...`, counted as one
    mismatch, and the scenario stops there."""
    text = b"config caps IGS=wsi\ninit\nprobe dev 0x1\nattach dev identity\n"
    result = riommu_input(text, "run", "-")
    assert result.returncode == 1, _describe(result)
    assert "<stdin>:2: expected result ok, got ENODEV" in result.stdout, _describe(result)
    assert "<stdin>:3: error: the driver is not running" in result.stdout, _describe(result)
    assert _last_line(result) == "mismatches: 2, waived: 0, skipped: 0", _describe(result)


def test_check_only_parses(run_riommu):
    """`riommu run --check` parses without running: no summary, exit 0."""
    result = run_riommu("run", "--check", *[str(p) for p in GOOD])
    assert result.returncode == 0, _describe(result)
    assert "mismatches:" not in result.stdout, _describe(result)
    assert result.stdout.count(": ok (") == len(GOOD), _describe(result)


# ---- the default run ------------------------------------------------------------

def test_default_run_shows_the_flow(run_riommu):
    """`riommu run` with no file runs the built-in default: bring-up, an
    identity device, paging domains with 4 KiB and 2 MiB pages, DMA, a fault
    drained and decoded (cause name, device, IOVA), unmap with invalidation,
    the stale IOVA faulting, shutdown, and a summary with translations,
    faults by cause, cache hit rates and commands by opcode."""
    result = run_riommu("run")
    assert result.returncode == 0, _describe(result)
    assert _last_line(result) == CLEAN, _describe(result)
    out = result.stdout
    for needle in ["init", "attach nic identity", "4 KiB page", "2 MiB page",
                   "fault record: cause 15 write-page-fault (write/AMO page fault)",
                   "device 0x000101, iova 0x10000000",
                   "fault record: cause 13 read-page-fault",
                   "unmapped, invalidated", "shutdown", "summary (default)",
                   "translations", "faults by cause:", "IOTLB", "%",
                   "commands executed: IOTINVAL.VMA", "IOFENCE.C", "IODIR.INVAL_DDT",
                   "commands queued"]:
        assert needle in out, f"missing {needle!r}\n" + _describe(result)


def test_demo_is_the_default_run(run_riommu):
    """`riommu demo` stays as an alias: same output as `riommu run`."""
    run = run_riommu("run")
    demo = run_riommu("demo")
    assert demo.returncode == 0, _describe(demo)
    assert demo.stdout == run.stdout


def test_print_default_round_trips(run_riommu, riommu_input):
    """The text `--print-default` shows is the default scenario: running it
    from stdin passes the same way."""
    text = run_riommu("run", "--print-default")
    assert text.returncode == 0 and text.stdout.startswith("#"), _describe(text)
    result = riommu_input(text.stdout.encode(), "run", "-q", "-")
    assert result.returncode == 0, _describe(result)
    assert _last_line(result) == CLEAN, _describe(result)


def test_ops_shows_shim_operations(run_riommu):
    """`--ops` prints the driver's shim operations (MMIO with register
    names, publications) under the steps."""
    result = run_riommu("run", "--ops", str(GOOD[0]))
    assert result.returncode == 0, _describe(result)
    assert "w64 ddtp" in result.stdout and "publish 0x" in result.stdout, _describe(result)


# ---- decode ------------------------------------------------------------------------

@pytest.mark.parametrize("args,needles", [
    # linux-driver.md 2.3: IOTINVAL.VMA by PSCID and page.
    (["cmd", "0x0000000100001401", "0x400"],
     ["IOTINVAL.VMA", "PSCV=1", "PSCID=1", "AV=1", "ADDR=0x1000", "GV=0"]),
    # IOFENCE.C PR PW (the cmd_sync fence).
    (["cmd", "0x3002", "0"], ["IOFENCE.C", "PR=1", "PW=1", "AV=0", "WSI=0"]),
    # IODIR.INVAL_DDT for device 0x10.
    (["cmd", "0x0000100200000003", "0"], ["IODIR.INVAL_DDT", "DV=1", "DID=0x10"]),
    (["cmd", "0", "0"], ["illegal command", "opcode=0"]),
    # ddtp: root 0x80100000, 3LVL.
    (["ddtp", "0x20040004"], ["3LVL", "PPN=0x80100", "0x80100000", "iommu_mode=4"]),
    (["cqb", "0x2008000C"], ["8192 entries", "PPN=0x80200", "LOG2SZ-1=12"]),
    (["cqcsr", "0x10403"], ["cqen=1", "cmd_ill=1", "cqon=1", "busy=0"]),
    (["fqcsr", "0x10203"], ["fqof=1", "fqon=1"]),
    (["ipsr", "0x3"], ["cip=1", "fip=1", "pmip=0"]),
    (["icvec", "0x2310"], ["civ=0", "fiv=1", "pmiv=3", "piv=2"]),
    (["fctl", "0x2"], ["WSI=1", "BE=0"]),
    (["capabilities", "0x00000c38e900ce10"],
     ["Sv57=1", "AMO_HWAD=1", "IGS=2", "MSI and WSI", "PAS=56", "MSI_FLAT=0"]),
    (["iohpmevt3", "0x4"], ["eventID=4", "TLB miss"]),
    (["tr_req_ctl", "0x0000100000000001"], ["Go/Busy=1", "DID=0x10"]),
    (["tr_response", "0x40000000"], ["fault=0", "PPN=0x100000"]),
    # linux-driver.md 2.3: DC with SADE, Sv39 fsc, PSCID 1.
    (["dc", "0x101", "0", "0x1000", "0x8000000000080300"],
     ["V=1", "SADE=1", "PSCID=1", "Sv39", "PPN=0x80300", "base device context"]),
    (["dc", "1", "0", "0", "0", "0", "0", "0", "0"], ["extended device context", "msiptp"]),
    (["pc", "0x1003", "0x9000000000000123"], ["V=1", "ENS=1", "PSCID=1", "Sv48"]),
    (["pte", "0x80000000400060df"], ["NAPOT", "N=1", "0x100010000", "D=1"]),
    (["pte", "0x57"], ["leaf", "W=1", "D=0"]),
    (["fault", "0x0001010c0000000f", "0", "0x10000000", "0"],
     ["CAUSE=15", "write/AMO page fault", "write-page-fault", "TTYP=3",
      "untranslated write", "DID=0x101", "iotval=0x10000000", "PV=0"]),
    (["ddte", "0x20040001"], ["V=1", "0x80100000"]),
])
def test_decode_names_fields(run_riommu, args, needles):
    """`riommu decode` names the command / register / structure and every
    field of known encodings."""
    result = run_riommu("decode", *args)
    assert result.returncode == 0, _describe(result)
    for n in needles:
        assert n in result.stdout, f"missing {n!r}\n" + _describe(result)


def test_decode_flags_reserved_bits(run_riommu):
    """Reserved bits that are set are flagged (an IOTINVAL with bit 11 set
    is illegal)."""
    result = run_riommu("decode", "cmd", "0x801", "0")
    assert result.returncode == 0, _describe(result)
    assert "reserved" in result.stdout and "!" in result.stdout, _describe(result)


@pytest.mark.parametrize("args", [
    ["decode"], ["decode", "ddtp"], ["decode", "nosuchreg", "1"], ["decode", "ddtp", "xyz"],
    ["decode", "ddtp", "0x12345678901234567"], ["decode", "cmd", "1"],
    ["decode", "dc", "1", "2", "3"], ["decode", "fault", "1"], ["decode", "cqcsr", "1", "2"],
])
def test_decode_bad_input(run_riommu, args):
    """Bad decode input: a clear message on stderr, exit 2."""
    result = run_riommu(*args)
    assert result.returncode == 2, _describe(result)
    assert result.stderr.startswith("riommu decode:"), _describe(result)


# ---- help ----------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--help"], "usage: riommu COMMAND"),
    (["help"], "usage: riommu COMMAND"),
    (["run", "--help"], "usage: riommu run"),
    (["help", "run"], "usage: riommu run"),
    (["demo", "--help"], "usage: riommu demo"),
    (["decode", "--help"], "usage: riommu decode"),
    (["help", "decode"], "usage: riommu decode"),
])
def test_help(run_riommu, args, needle):
    """Every command documents itself on stdout and exits 0."""
    result = run_riommu(*args)
    assert result.returncode == 0, _describe(result)
    assert needle in result.stdout, _describe(result)


def test_run_help_covers_the_language(run_riommu):
    """`riommu run --help` summarises every verb of the language."""
    out = run_riommu("run", "--help").stdout
    for verb in ["config caps", "driver profile", "init", "probe", "domain", "attach",
                 "detach", "release", "free", "map", "unmap", "sync", "flush",
                 "iova-to-phys", "process", "remove", "shutdown", "crash", "cmd sync",
                 "cq-repair", "mmio read32", "mem read32", "dc DEV", "pte DEV", "dma DEV",
                 "expect fault-record", "expect event", "expect stat", "repeat", "step",
                 "settle", "echo", "docs/scenarios.md"]:
        assert verb in out, verb


@pytest.mark.parametrize("args", [["run", "--bogus"], ["demo", "extra"], ["help", "nope"]])
def test_usage_errors(run_riommu, args):
    """Unknown options and arguments are usage errors (exit 2)."""
    result = run_riommu(*args)
    assert result.returncode == 2, _describe(result)
    assert result.stderr.strip(), _describe(result)


def test_missing_file(run_riommu, tmp_path):
    """A scenario file that cannot be opened: exit 2 with its name."""
    missing = tmp_path / "nope.scn"
    result = run_riommu("run", str(missing))
    assert result.returncode == 2, _describe(result)
    assert str(missing) in result.stderr, _describe(result)


# ---- untrusted input -----------------------------------------------------------------------

def _assert_no_crash(result):
    assert result.returncode in (0, 1, 2), _describe(result)
    assert not SANITIZER.search(result.stderr), _describe(result)
    assert not SANITIZER.search(result.stdout), _describe(result)


def _garbage_line(rng: random.Random) -> bytes:
    """A line that cannot parse: printable junk without '#', then a control
    byte outside any comment, then anything."""
    junk = bytes(rng.choice(b"abcdefxyz0123456789 _-+=.,:;!$%&*()[]{}<>/\\\t\"'")
                 for _ in range(rng.randrange(0, 80)))
    tail = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    return junk + bytes([rng.choice([0, 1, 7, 8, 11, 27, 127, 0x80, 0xc3, 0xff])]) + tail


def test_fuzz_garbage_is_refused(riommu_input):
    """Random garbage (binary bytes, NULs, control characters) after a valid
    prefix: always exit 2 with a `<stdin>:LINE:` message, no crash."""
    rng = random.Random(20260222)
    prefixes = [b"", b"init\n", b"init\nprobe d 1\n", b"# comment\n\n",
                b"config caps -Sv57\ninit\ndomain a\n"]
    for i in range(120):
        lines = [rng.choice(prefixes)]
        for _ in range(rng.randrange(0, 4)):
            lines.append(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60)))
                         .replace(b"\n", b" ") + b"\n" if rng.random() < 0.2 else b"")
        lines.append(_garbage_line(rng) + b"\n")
        data = b"".join(lines)
        result = riommu_input(data, "run", "-q", "-")
        _assert_no_crash(result)
        assert result.returncode == 2, f"case {i}: {data!r}\n" + _describe(result)
        assert re.match(r"<stdin>:\d+: ", result.stderr), f"case {i}\n" + _describe(result)


def test_fuzz_oversized_input(riommu_input):
    """A line over 4096 bytes, a line of 1000 words, and 64 KiB of random
    bytes: refused with exit 2, no crash."""
    for data in [b"init\n" + b"x" * 5000 + b"\n",
                 b"init\nprobe d " + b" 1" * 1000 + b"\n",
                 bytes(random.Random(7).randrange(256) for _ in range(65536))]:
        result = riommu_input(data, "run", "-q", "-")
        _assert_no_crash(result)
        assert result.returncode == 2, _describe(result)


VOCAB = ["init", "probe", "domain", "attach", "detach", "release", "free", "map", "unmap",
         "sync", "flush", "iova-to-phys", "process", "remove", "shutdown", "crash", "cmd",
         "cq-repair", "mmio", "mem", "dc", "pte", "dma", "expect", "step", "settle", "echo",
         "repeat", "config", "driver"]
WORDS = ["d0", "d1", "a", "b", "identity", "blocked", "read", "write", "exec", "read32",
         "read64", "write32", "write64", "ddtp", "cqcsr", "fqcsr", "cqt", "fqh", "icvec",
         "ipsr", "tc", "fsc", "ok", "fault", "expect", "sync", "nosync", "data", "pa",
         "range", "mask", "ENODEV", "EIO", "read-page-fault", "ddt-invalid", "caps",
         "+MSI_FLAT", "-Sv57", "iotlb", "entries=16", "assoc=4", "policy=fifo", "profile",
         "linux-6.13", "mainline", "bus", "platform", "irqs", "policy", "mmio32", "on",
         "off", "fault-record", "cause", "device", "iova", "event", "cq-error", "stat",
         "translations", "drv.commands", ">=", "reg", "no-events", "rw", "r", "noexec",
         "00ff", "recorded", "iotlb-hit", "kdump", "cq", "fq", "max-entries", "timeout"]
NUMBERS = ["0", "1", "0x10", "0x1000", "4K", "2M", "1G", "512G", "0x100000000",
           "0x80000000", "0xffffffffffffffff", "0x7f", "0x3", "0x10000", "8", "64", "3",
           "0x1401", "0x400", "0x0000000100001401", "65536", "0x1_0000", "1T", "0xfff"]


def _random_statement(rng: random.Random) -> str:
    words = [rng.choice(VOCAB)]
    for _ in range(rng.randrange(0, 9)):
        words.append(rng.choice(NUMBERS) if rng.random() < 0.45 else rng.choice(WORDS))
    return " ".join(words)


def test_fuzz_random_statements(riommu_input):
    """Random statements built from the language's own words and numbers:
    whatever parses runs to the end; the exit status is 0, 1 or 2, never a
    crash, a sanitizer report or a hang (the timeout of the run)."""
    rng = random.Random(4)
    valid_runs = 0
    for i in range(150):
        n = rng.randrange(1, 25)
        base = ["init", "probe d0 0x10", "domain a", "attach d0 a"] if rng.random() < 0.7 else []
        text = "\n".join(base + [_random_statement(rng) for _ in range(n)]) + "\n"
        result = riommu_input(text.encode(), "run", "-q", "-")
        _assert_no_crash(result)
        if result.returncode == 2:
            assert re.match(r"<stdin>:\d+: ", result.stderr), f"case {i}\n{text}" + \
                _describe(result)
        else:
            valid_runs += 1
            assert re.match(r"mismatches: \d+, waived: 0, skipped: 0$", _last_line(result)), \
                f"case {i}\n{text}" + _describe(result)
    assert valid_runs > 0


def test_fuzz_valid_mutations_of_the_corpus(riommu_input):
    """Corpus scenarios with lines dropped, duplicated or swapped: they
    may fail to parse or mismatch, but never crash."""
    rng = random.Random(99)
    for i in range(60):
        lines = rng.choice(GOOD).read_text(encoding="utf-8").splitlines()
        for _ in range(rng.randrange(1, 6)):
            if not lines:
                break
            k = rng.randrange(len(lines))
            op = rng.randrange(3)
            if op == 0:
                del lines[k]
            elif op == 1:
                lines.insert(k, lines[k])
            else:
                j = rng.randrange(len(lines))
                lines[k], lines[j] = lines[j], lines[k]
        result = riommu_input(("\n".join(lines) + "\n").encode(), "run", "-q", "-")
        _assert_no_crash(result)
