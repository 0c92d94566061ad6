"""Smoke tests of the `riommu` command-line tool."""

import re

DEMO_SUMMARY = re.compile(r"^mismatches: 0, waived: 0, skipped: 0$")


def _describe(result) -> str:
    return (f"exit {result.returncode}\n--- stdout ---\n{result.stdout}"
            f"\n--- stderr ---\n{result.stderr}")


def test_help_lists_commands(run_riommu):
    """`riommu --help` exits 0 and its usage text (stdout) names `run`,
    `decode` and the `demo` alias."""
    result = run_riommu("--help")
    assert result.returncode == 0, _describe(result)
    for cmd in ("run", "decode", "demo"):
        assert cmd in result.stdout, _describe(result)


def test_run_default_runs_clean(run_riommu):
    """`riommu run` (the main job of `make run`) exits 0 and its last output
    line reports no mismatches, waivers or skipped steps."""
    result = run_riommu("run")
    assert result.returncode == 0, _describe(result)
    lines = result.stdout.rstrip("\n").splitlines()
    assert lines, "riommu run printed nothing\n" + _describe(result)
    assert DEMO_SUMMARY.match(lines[-1]), _describe(result)


def test_demo_runs_clean(run_riommu):
    """`riommu demo`, kept as an alias of the default run, exits 0 and its
    last output line reports no mismatches, waivers or skipped steps."""
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
