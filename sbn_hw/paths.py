"""Where sbn-hw's non-Python folders are: rtl/, sim/, flows/, boards/ and hls/.

They sit at the top of the source checkout. A built wheel carries them inside the package as
sbn_hw/_rtl, sbn_hw/_sim, sbn_hw/_flows and sbn_hw/_boards (pyproject.toml's
[tool.setuptools.package-dir] maps each to its top-level folder). This module is the only place
that knows both locations; everything else asks `resource_dir`.
"""

from __future__ import annotations

from pathlib import Path

from sbn_hw import SbnHwError

FOLDERS = ("rtl", "sim", "flows", "boards", "hls")

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder that makes `import sbn_hw` work: site-packages for an installed wheel, the
# repository for a checkout or an editable install. Subprocesses (the cocotb benches) get it
# on their path.
IMPORT_ROOT = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """The folder `name` (one of FOLDERS): the installed package's copy first, else the source
    checkout's top-level folder. Raises SbnHwError when neither exists."""
    if name not in FOLDERS:
        raise ValueError(f"unknown resource folder {name!r}: one of {', '.join(FOLDERS)}")
    installed = PACKAGE_DIR / f"_{name}"
    if installed.is_dir():
        return installed
    source = IMPORT_ROOT / name
    if source.is_dir() and (IMPORT_ROOT / "pyproject.toml").is_file():
        return source
    raise SbnHwError(
        f"sbn-hw's {name}/ folder is missing (looked in {installed} and {source}): "
        "reinstall sbn-hw (pip install . or pip install -e . from a source checkout)"
    )
