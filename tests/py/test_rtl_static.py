"""Static properties of the RTL harness sources (STYLE.md habit 2; DESIGN.md
§2.6: the C++ side owns the Verilated model, no file statics)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2] / "rtl-harness"
SOURCES = sorted(list((ROOT / "harness").glob("*.[ch]*")) +
                 list((ROOT / "tests").rglob("*.[ch]*")))

# A mutable static anywhere (file scope or function scope): `static T x;`
# or `static T x = ...;` (functions have a parenthesis before = or ;).
STATIC_VAR = re.compile(r"^\s*static\s+(?!const\b|constexpr\b)[^(;=]*\b\w+\s*(\[[^\]]*\])?\s*(=|;|\{)",
                        re.M)
# A mutable variable at namespace scope (the harness does not indent
# namespace bodies): a column-0 declaration that is not a type, function,
# directive or constant.
GLOBAL_VAR = re.compile(r"^(?!static const|const|constexpr|\s|#|/|\*|}|typedef|using|namespace|"
                        r"class|struct|enum|template|extern|public|private|protected|TEST)"
                        r"[A-Za-z_][\w:<>,\s\*&]*\b\w+\s*(\[[^\]]*\])?\s*(=|;)", re.M)


def test_sources_found():
    assert any(f.name == "harness.cpp" for f in SOURCES), SOURCES


def test_rtl_harness_has_no_file_statics():
    offenders = []
    for f in SOURCES:
        text = f.read_text()
        for rx in (STATIC_VAR, GLOBAL_VAR):
            for m in rx.finditer(text):
                line = m.group(0).strip()
                if "(" in line:  # prototypes, function definitions, calls
                    continue
                offenders.append(f"{f.relative_to(ROOT)}: {line}")
    assert offenders == []


def test_checker_catches_a_planted_static():
    """The patterns above do find what they are meant to find."""
    planted = "static int counter = 0;\nVerilatedContext *g_ctx;\n"
    assert STATIC_VAR.search(planted)
    assert GLOBAL_VAR.search("VerilatedContext *g_ctx;\n")
