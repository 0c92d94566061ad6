"""pytest glue for riommu regression tests.

The tests drive the binaries of one CMake build directory: $RIOMMU_BUILD_DIR
(ctest sets it to the build being tested), else build/release under the
repository root. A binary that is missing makes its tests fail, never skip:
a regression run that silently tested nothing must not look green.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Generous: the debug preset runs the tools under ASan + UBSan.
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def build_dir() -> Path:
    """The CMake build directory under test."""
    env = os.environ.get("RIOMMU_BUILD_DIR")
    path = Path(env) if env else REPO_ROOT / "build" / "release"
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def require_binary(build_dir: Path, name: str) -> Path:
    """Path of binary `name` in build_dir; fails the calling test if missing."""
    path = build_dir / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{name} binary not found at {path}; build it first "
                    f"(e.g. `make build`) or set RIOMMU_BUILD_DIR",
                    pytrace=False)
    return path


@pytest.fixture
def run_riommu(build_dir: Path):
    """Run the `riommu` tool with the given arguments; returns the
    CompletedProcess (text mode). A missing binary fails the test."""

    def run(*args: str) -> subprocess.CompletedProcess:
        riommu = require_binary(build_dir, "riommu")
        return subprocess.run(
            [str(riommu), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )

    return run
