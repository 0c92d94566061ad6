"""Static properties of the model's sources that the design requires."""

import pathlib
import re

SRC = pathlib.Path(__file__).resolve().parents[2] / "model" / "src"


def test_model_takes_no_locks():
    """Issue 3 / DESIGN.md: the translation hot path takes no lock. The
    model is single-threaded per instance, so no source may use threads,
    mutexes or atomics at all."""
    files = sorted(SRC.glob("*.[ch]"))
    assert files, f"no model sources under {SRC}"
    pattern = re.compile(r"\b(pthread_\w+|mtx_\w+|_Atomic|atomic_\w+|spin_?lock)\b")
    hits = [f"{f.name}: {m.group(0)}" for f in files
            for m in pattern.finditer(f.read_text())]
    assert hits == []


def test_model_has_no_globals():
    """STYLE.md habit 2: no globals. Every file-scope variable in the model
    must be a `static const` table."""
    decl = re.compile(r"^(?!static const|\s|#|/|\*|}|typedef|extern)"
                      r"[A-Za-z_][\w\s\*]*\b\w+\s*(\[[^\]]*\])?\s*(=|;)", re.M)
    offenders = []
    for f in sorted(SRC.glob("*.c")):
        for m in decl.finditer(f.read_text()):
            line = m.group(0)
            if "(" in line:  # prototypes and function definitions
                continue
            offenders.append(f"{f.name}: {line.strip()}")
        for m in re.finditer(r"^static (?!const|inline)[^(]*?(=|;)\s*$",
                             f.read_text(), re.M):
            offenders.append(f"{f.name}: {m.group(0).strip()}")
    assert offenders == []
