"""Smoke tests of the `riommu` command-line tool."""

import re

DEMO_SUMMARY = re.compile(r"^mismatches: 0, waived: 0, skipped: 0$")


def _describe(result) -> str:
    return (f"exit {result.returncode}\n--- stdout ---\n{result.stdout}"
            f"\n--- stderr ---\n{result.stderr}")


def test_help_lists_demo(run_riommu):
    """`riommu --help` exits 0 and its usage text (stdout) names `demo`."""
    result = run_riommu("--help")
    assert result.returncode == 0, _describe(result)
    assert "demo" in result.stdout, _describe(result)


def test_demo_runs_clean(run_riommu):
    """`riommu demo` (the main job) exits 0 and its last output line reports
    no mismatches, waivers or skipped steps."""
    result = run_riommu("demo")
    assert result.returncode == 0, _describe(result)
    lines = result.stdout.rstrip("\n").splitlines()
    assert lines, "riommu demo printed nothing\n" + _describe(result)
    assert DEMO_SUMMARY.match(lines[-1]), _describe(result)


def test_unknown_command_is_usage_error(run_riommu):
    """`riommu nosuchcmd` exits 2 (usage error) with a message on stderr."""
    result = run_riommu("nosuchcmd")
    assert result.returncode == 2, _describe(result)
    assert result.stderr.strip(), "no message on stderr\n" + _describe(result)
