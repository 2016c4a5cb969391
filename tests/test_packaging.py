"""A built wheel carries rtl/, sim/, flows/ and boards/, and an installed copy finds them (and
runs its cocotb benches) from outside the source tree."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sbn_hw.paths import FOLDERS

SOURCE = Path(__file__).resolve().parents[1]
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "sim_build", "results.xml", "*.vcd", "*.fst")

pytestmark = pytest.mark.skipif(not (SOURCE / "pyproject.toml").is_file(), reason="needs the source checkout")


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def src(tmp_path_factory) -> Path:
    """A clean copy of what the wheel is built from (building in the checkout would leave build/
    behind there, and its stale files would end up in later wheels)."""
    d = tmp_path_factory.mktemp("src")
    for f in ("pyproject.toml", "README.md", "setup.py", "setup.cfg", "MANIFEST.in"):
        if (SOURCE / f).is_file():
            shutil.copy(SOURCE / f, d / f)
    for folder in ("sbn_hw", *FOLDERS):
        shutil.copytree(SOURCE / folder, d / folder, ignore=JUNK)
    return d


@pytest.fixture(scope="module")
def wheel(src, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), str(src))
    (whl,) = out.glob("sbn_hw-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    return target


def _run_installed(target: Path, cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Python with only the installed copy of sbn_hw importable first (not the checkout)."""
    env = dict(os.environ, PYTHONPATH=str(target))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_carries_every_resource_file_and_module(src, wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in FOLDERS:
        files = [p.relative_to(src / folder).as_posix() for p in (src / folder).rglob("*") if p.is_file()]
        assert files, folder
        missing = [f for f in files if f"sbn_hw/_{folder}/{f}" not in names]
        assert not missing, f"{folder}/ files missing from the wheel: {missing}"
    # pyproject.toml lists the packages by hand: a new subpackage must be added there.
    modules = [p.relative_to(src).as_posix() for p in (src / "sbn_hw").rglob("*.py")]
    missing = [m for m in modules if m not in names]
    assert not missing, f"modules missing from the wheel (add their package to pyproject.toml): {missing}"
    for expected in ("sbn_hw/_rtl/sbn_mvau.v", "sbn_hw/_sim/accelerator/test_accelerator.py",
                     "sbn_hw/_flows/yosys/synth_xc7.ys", "sbn_hw/_boards/pynq-z2.json"):
        assert expected in names


def test_installed_copy_finds_its_resources_outside_the_source_tree(installed, tmp_path):
    probe = """
import json, sys
import sbn_hw
from sbn_hw.paths import FOLDERS, IMPORT_ROOT, resource_dir
from sbn_hw.rtlgen.generate import LIBRARY_FILES, RTL_LIBRARY
from sbn_hw.flows.yosys import BOARDS, FLOW, load_board
from sbn_hw.verify.runner import SIM_DIR
assert all((RTL_LIBRARY / f).is_file() for f in LIBRARY_FILES)
assert FLOW.is_file() and load_board("pynq-z2")
sys.path.insert(0, str(SIM_DIR / "accelerator"))  # as cocotb's runner imports a bench
import test_accelerator
print(json.dumps({"package": sbn_hw.__file__, "import_root": str(IMPORT_ROOT),
                  "bench": test_accelerator.__file__, "rtl": str(RTL_LIBRARY), "sim": str(SIM_DIR),
                  "flow": str(FLOW), "boards": str(BOARDS),
                  **{"dir_" + f: str(resource_dir(f)) for f in FOLDERS}}))
"""
    proc = _run_installed(installed, tmp_path, "-c", probe)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    target = installed.resolve()
    assert Path(found["import_root"]) == target
    for key, path in found.items():
        p = Path(path).resolve()
        assert p.is_relative_to(target), f"{key}: {p} is not inside the installed copy {target}"
        assert not p.is_relative_to(SOURCE), f"{key}: {p} is inside the source tree"
    for folder in FOLDERS:
        assert Path(found["dir_" + folder]) == target / "sbn_hw" / f"_{folder}"


@pytest.mark.slow
def test_installed_copy_builds_end_to_end(installed, tmp_path):
    out = tmp_path / "build"
    proc = _run_installed(installed, tmp_path, "-c", "from sbn_hw.cli import main; main()",
                          "build", "--dataset", "digits", "--out", str(out), "--epochs", "3", timeout=900)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert (out / "report.md").is_file()
    # The simulation compiled the installed RTL and ran the installed bench, nothing from the checkout.
    checkout = [f"{SOURCE / d}{os.sep}" for d in ("sbn_hw", *FOLDERS)]
    logs = [p for p in out.rglob("*.log") if p.is_file()]
    assert logs
    for log in logs:
        text = log.read_text(errors="replace")
        assert not [c for c in checkout if c in text], log
