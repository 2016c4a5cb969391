"""Where the open-source ap_int.h / hls_stream.h come from for C simulation.

They ship inside the hls4ml wheel (pinned in requirements.lock), under
hls4ml/templates/vivado/ap_types/. hls4ml is never imported: importing it pulls in its model
converters, and only its header files are needed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sbn_hw import SbnHwError

PROVIDER = "hls4ml==1.3.0"
REQUIRED = ("ap_int.h", "hls_stream.h")
SUBDIR = Path("templates") / "vivado" / "ap_types"


def package_dirs(package: str = "hls4ml") -> list[Path]:
    """The installed package's folders, found without importing it (empty when not installed)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations]


def header_dir_in(roots: list[Path]) -> Path | None:
    """The first `<root>/templates/vivado/ap_types` holding every required header."""
    for root in roots:
        d = root / SUBDIR
        if all((d / h).is_file() for h in REQUIRED):
            return d
    return None


def hls_include_dir(roots: list[Path] | None = None) -> Path:
    """The folder to pass to g++ as -I for ap_int.h and hls_stream.h; a clear error naming the fix
    when they are not installed."""
    roots = package_dirs() if roots is None else roots
    found = header_dir_in(roots)
    if found is None:
        where = ", ".join(str(r / SUBDIR) for r in roots) or "hls4ml is not installed"
        raise SbnHwError(
            f"the C simulation needs the open-source {' and '.join(REQUIRED)} headers (looked in: {where}): "
            f"install them with `pip install --no-deps {PROVIDER}` (pinned in requirements.lock)"
        )
    return found
