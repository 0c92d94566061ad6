"""The reference driver builds freestanding for a bare-metal riscv64 guest
(issue 4: "The driver also compiles freestanding (no libc beyond what a
bare-metal riscv64 build has)")."""

import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
CC = "riscv64-unknown-elf-gcc"
NM = "riscv64-unknown-elf-nm"
FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-march=rv64imac",
         "-mabi=lp64", "-mcmodel=medany", "-ffreestanding", "-nostdlib"]


def test_driver_compiles_freestanding_for_riscv64(tmp_path):
    """Every driver source compiles with the bare-metal toolchain and no
    libc headers, and the linked-together driver needs nothing from outside
    but memset and memcpy (provided by picolibc or the guest runtime)."""
    assert shutil.which(CC), f"{CC} missing: scripts/setup.sh installs it"
    sources = sorted((ROOT / "driver" / "src").glob("*.c"))
    assert sources, "no driver sources"
    objs = []
    for src in sources:
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([CC, *FLAGS, "-I", str(ROOT / "driver" / "include"),
                        "-I", str(ROOT / "model" / "include"), "-c", str(src),
                        "-o", str(obj)], check=True, capture_output=True, text=True)
        objs.append(str(obj))
    whole = tmp_path / "riommu_drv.o"
    subprocess.run([CC, *FLAGS, "-r", "-o", str(whole), *objs], check=True,
                   capture_output=True, text=True)
    out = subprocess.run([NM, "-u", str(whole)], check=True, capture_output=True,
                         text=True).stdout
    undefined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert undefined <= {"memset", "memcpy"}, sorted(undefined)
