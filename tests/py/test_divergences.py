"""The documented differences of QEMU 10.0's riscv-iommu-pci from the RISC-V
IOMMU specification (docs/divergences/qemu-10.0.md): every entry has a
minimal scenario in tests/scenarios/divergences/ and narrow rules in
tests/cosim/qemu-10.0.waivers, and the three stay in step.

Each scenario's header carries three machine-readable lines:

    # divergence: N NAME          the doc entry (number and name)
    # lockstep: KIND [WHERE]; ...  the records the entry gives on model,qemu
                                  without waivers (WHERE: a substring of the
                                  record's `where`), or `none` when the
                                  lockstep cannot see it
    # waivers: RULE ...           every rule that waives the run's records
                                  (its own and other entries')
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, RUN_TIMEOUT_S, require_binary

DIV_DIR = REPO_ROOT / "tests" / "scenarios" / "divergences"
SCENARIOS = sorted(DIV_DIR.glob("*.scn"))
DOC = REPO_ROOT / "docs" / "divergences" / "qemu-10.0.md"
WAIVERS = REPO_ROOT / "tests" / "cosim" / "qemu-10.0.waivers"
FINAL = re.compile(r"^mismatches: (\d+), waived: (\d+), skipped: (\d+)$")
QEMU = shutil.which("qemu-system-riscv64")
needs_qemu = pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 not installed")


def final(out: str):
    last = out.rstrip("\n").splitlines()[-1]
    m = FINAL.match(last)
    assert m, f"last line is {last!r}"
    return tuple(int(g) for g in m.groups())


def header(path: Path) -> dict:
    """The machine-readable lines of a divergence scenario's header."""
    h = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"#\s*(divergence|lockstep|waivers):\s*(.*?)\s*$", line)
        if m:
            assert m.group(1) not in h, f"{path.name}: two '{m.group(1)}:' lines"
            h[m.group(1)] = m.group(2)
    assert set(h) == {"divergence", "lockstep", "waivers"}, f"{path.name}: header has {set(h)}"
    num, name = h["divergence"].split()
    items = []
    if h["lockstep"] != "none":
        for item in h["lockstep"].split(";"):
            kind, _, where = item.strip().partition(" ")
            items.append((kind, where.strip()))
    return {"number": int(num), "name": name, "lockstep": items,
            "waivers": set(h["waivers"].split()) if h["waivers"] != "none" else set()}


def waiver_rules() -> set:
    return {ln.split()[0] for ln in WAIVERS.read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")}


def doc_tables():
    """Rows of the two tables of the doc: {number: name} from the entry
    table, {number: (scenario, rules)} from the scenario table."""
    entries, scenarios = {}, {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or not cells[0].isdigit():
            continue
        n = int(cells[0])
        if re.fullmatch(r"`qemu-[a-z0-9-]+`", cells[1]):
            assert n not in entries, f"entry {n} twice"
            entries[n] = cells[1].strip("`")
        else:
            m = re.fullmatch(r"`(qemu-\d\d-[a-z0-9-]+\.scn)`", cells[1])
            assert m, f"doc row {n}: second cell {cells[1]!r} is neither a name nor a scenario"
            assert n not in scenarios, f"scenario row {n} twice"
            rules = set(re.findall(r"`([a-z0-9-]+)`", cells[-1]))
            scenarios[n] = (m.group(1), rules)
    return entries, scenarios


HEADERS = {p.name: header(p) for p in SCENARIOS}
OBSERVABLE = [p for p in SCENARIOS if HEADERS[p.name]["lockstep"]]


def run_json(build_dir: Path, tmp: Path, *args: str) -> dict:
    """`riommu run -q --backends model,qemu ARGS --report` on every divergence
    scenario; returns {scenario file name: case} of the JSON report."""
    report = tmp / "r.json"
    r = subprocess.run([str(require_binary(build_dir, "riommu")), "run", "-q", "--backends",
                        "model,qemu", *args, "--report", str(report), *map(str, SCENARIOS)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S, check=False)
    assert r.returncode in (0, 1), r.stdout[-3000:] + r.stderr
    assert "not run on qemu" not in r.stdout, r.stdout
    cases = json.loads(report.read_text())["cases"]
    return {Path(c["name"]).name: c for c in cases}


@pytest.fixture(scope="module")
def unwaived(build_dir, tmp_path_factory):
    if QEMU is None:
        pytest.skip("qemu-system-riscv64 not installed")
    return run_json(build_dir, tmp_path_factory.mktemp("unwaived"))


@pytest.fixture(scope="module")
def waived(build_dir, tmp_path_factory):
    if QEMU is None:
        pytest.skip("qemu-system-riscv64 not installed")
    return run_json(build_dir, tmp_path_factory.mktemp("waived"), "--waivers", str(WAIVERS))


def test_every_scenario_is_named_after_its_entry():
    """qemu-NN-SHORT.scn holds entry NN `qemu-SHORT`; the rules it names exist."""
    assert len(SCENARIOS) >= 13
    rules = waiver_rules()
    for p in SCENARIOS:
        h = HEADERS[p.name]
        assert p.name == f"qemu-{h['number']:02d}-{h['name'][len('qemu-'):]}.scn", p.name
        assert h["waivers"] <= rules, f"{p.name}: unknown rules {h['waivers'] - rules}"
        first = next(ln for ln in p.read_text().splitlines()
                     if ln.strip() and not ln.startswith("#"))
        assert first == "config qemu", f"{p.name}: the first statement must be 'config qemu'"


def test_model_alone_follows_the_spec(run_riommu):
    """(a) On the model alone (with QEMU's parameters, `config qemu`) every
    scenario's expectations hold: they state the specification's answer
    (q "Fault/Event-Queue" PV, q "Fault record TTYP field encodings",
    ds "Device-context configuration checks", ds "Process to translate an
    IOVA", regs "tr_req_ctl"/"tr_response", regs "capabilities" (Svnapot),
    regs "cqcsr"/"fqcsr")."""
    r = run_riommu("run", "-q", *map(str, SCENARIOS))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert final(r.stdout) == (0, 0, 0)


@needs_qemu
@pytest.mark.parametrize("scn", OBSERVABLE, ids=lambda p: p.stem)
def test_divergence_shows_without_waivers(unwaived, scn):
    """(b) Without waivers, model,qemu gives at least one unwaived record of
    every kind (and where) the scenario's `# lockstep:` line names: the
    difference from the spec section in its header is really there."""
    recs = unwaived[scn.name]["records"]
    assert recs and not any(rec["waived"] for rec in recs)
    for kind, where in HEADERS[scn.name]["lockstep"]:
        assert any(rec["kind"] == kind and where in rec["where"] for rec in recs), \
            f"{scn.name}: no {kind} record with {where!r}; got " + \
            ", ".join(f"{rec['kind']} {rec['where']!r}" for rec in recs)


@needs_qemu
@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda p: p.stem)
def test_waivers_cover_exactly_the_documented_records(waived, scn):
    """(c) With tests/cosim/qemu-10.0.waivers nothing stays unwaived; the
    rules used are exactly the scenario's `# waivers:` line, and each
    `# lockstep:` record is waived by a rule the doc row of its entry names
    (every rule cites its spec section and entry)."""
    case = waived[scn.name]
    h = HEADERS[scn.name]
    assert case["mismatches"] == 0, [r for r in case["records"] if not r["waived"]]
    used = {rec["waiver"] for rec in case["records"]}
    assert used == h["waivers"], f"{scn.name}: rules used {used}, header says {h['waivers']}"
    if h["lockstep"]:
        assert case["waived"] > 0
    _, rows = doc_tables()
    own = rows[h["number"]][1]
    for kind, where in h["lockstep"]:
        by = {rec["waiver"] for rec in case["records"]
              if rec["kind"] == kind and where in rec["where"]}
        assert by and by <= own, f"{scn.name}: {kind} {where!r} waived by {by}, doc row says {own}"


def test_doc_tables_and_scenarios_agree():
    """(d) Each entry of docs/divergences/qemu-10.0.md has a row in the
    scenario table naming its scenario file, which exists, and rules that
    exist; each scenario file is such a row. Unobservable entries say "none"
    in both the doc and the header."""
    entries, rows = doc_tables()
    assert sorted(entries) == list(range(1, len(entries) + 1))
    assert set(rows) == set(entries), (sorted(entries), sorted(rows))
    rules = waiver_rules()
    files = {p.name for p in SCENARIOS}
    for n, name in entries.items():
        scn, own = rows[n]
        assert scn in files, f"entry {n}: {scn} missing"
        h = HEADERS[scn]
        assert (h["number"], h["name"]) == (n, name), f"{scn}: header says {h['number']} {h['name']}"
        assert own <= rules, f"entry {n}: unknown rules {own - rules}"
        assert bool(own) == bool(h["lockstep"]), f"entry {n}: rules {own}, lockstep {h['lockstep']}"
    assert files == {rows[n][0] for n in rows}
    assert "when the multi-backend runner lands" not in DOC.read_text()
