"""Boards as data: one JSON file per board in boards/ (or a user's own file, given by path).

A board names its FPGA part and the flow that builds for it: "vivado" (Zynq boards that PYNQ
runs on: board_part, PS kind, the PS ports for data and control) or "open" (ECP5 boards built
with Yosys/nextpnr: package, speed grade, pins). Adding a board is one new JSON file; a file
that lacks a field, or has one of the wrong type, is rejected naming that field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.paths import resource_dir

FLOWS = ("vivado", "open")
PS_KINDS = ("zynq-7000", "zynq-ultrascale+")

# field -> (type(s), description); checked in this order so the first problem is named.
_COMMON = {
    "name": (str, "the board's name (the file's stem for boards in boards/)"),
    "flow": (str, f"one of {', '.join(FLOWS)}"),
    "part": (str, "the FPGA part"),
    "family": (str, "device family (xc7, xcup, ecp5)"),
    "clock_mhz": ((int, float), "the PL clock target in MHz"),
    "capacity": (dict, "resource budget {lut, ff, dsp, ...}"),
}
_VIVADO = {
    "board_part": (str, "Vivado board_part, e.g. tul.com.tw:pynq-z2:part0:1.0"),
    "ps": (str, f"processing system kind, one of {', '.join(PS_KINDS)}"),
    "data_port": (str, "PS high-performance slave port for DMA (S_AXI_HP0, S_AXI_HP0_FPD, ...)"),
    "data_port_width": (int, "data width of that port in bits as the PYNQ image configures it"),
    "control_port": (str, "PS general-purpose master port for AXI-Lite control (M_AXI_GP0, ...)"),
}
_OPEN = {
    "device": (str, "nextpnr device, e.g. 85k"),
    "package": (str, "package, e.g. CABGA381"),
    "speed": (int, "speed grade"),
    "pins": (dict, "pin sites: clk_25mhz, uart_tx, uart_rx, led"),
    "pinout_source": (str, "where the pin-out was taken from"),
}
_CAPACITY = {"vivado": ("lut", "ff", "bram36", "dsp"), "open": ("lut", "ff", "ebr", "dsp")}
_PINS = ("uart_tx", "uart_rx", "led")


@dataclass(frozen=True)
class Board:
    name: str
    flow: str  # "vivado" or "open"
    part: str
    family: str
    clock_mhz: float  # PL clock target
    capacity: dict[str, int]  # resource budget (lut, ff, dsp, bram36 / ebr, uram where present)
    path: Path  # the file it was read from
    title: str = ""
    # vivado boards
    board_part: str | None = None
    board_files: str | None = None  # where Vivado gets the board files when it lacks them
    ps: str | None = None
    data_port: str | None = None
    data_port_width: int | None = None
    control_port: str | None = None
    # open-flow boards
    device: str | None = None
    package: str | None = None
    speed: int | None = None
    pins: dict = field(default_factory=dict)
    pinout_source: str | None = None
    data: dict = field(default_factory=dict, repr=False)  # the file's JSON as read

    def as_dict(self) -> dict:
        """The board file's content (what older callers of flows.yosys.load_board take)."""
        return dict(self.data)


def boards_dir() -> Path:
    return resource_dir("boards")


def known_boards() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.json"))


def _is_path(name: str) -> bool:
    return name.endswith(".json") or "/" in name or "\\" in name


def load_board(name: str | Path) -> Board:
    """A board by name (boards/<name>.json) or by the path of a JSON file."""
    name = str(name)
    if _is_path(name):
        path = Path(name)
        if not path.is_file():
            raise SbnHwError(f"board file '{path}' does not exist")
        return parse_board(_read_json(path), path)
    path = boards_dir() / f"{name}.json"
    if not path.is_file():
        raise SbnHwError(f"unknown board '{name}': choose one of {', '.join(known_boards())}, "
                         "or give the path of your own board JSON file (see boards/)")
    board = parse_board(_read_json(path), path)
    if board.name != name:
        raise SbnHwError(f"board file {path}: field 'name' is '{board.name}' but the file is named '{name}.json'")
    return board


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise SbnHwError(f"board file {path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise SbnHwError(f"board file {path} must hold a JSON object")
    return data


def _check(data: dict, fields: dict, path: Path) -> None:
    for key, (types, what) in fields.items():
        if key not in data:
            raise SbnHwError(f"board file {path}: missing field '{key}' ({what})")
        value = data[key]
        # bool is an int in Python; no field here is a flag.
        if isinstance(value, bool) or not isinstance(value, types):
            raise SbnHwError(f"board file {path}: field '{key}' = {value!r} is not valid ({what})")


def parse_board(data: dict, path: Path) -> Board:
    """Validate a board file's JSON and build the Board; errors name the missing/bad field."""
    _check(data, _COMMON, path)
    flow = data["flow"]
    if flow not in FLOWS:
        raise SbnHwError(f"board file {path}: field 'flow' = {flow!r} is not valid (one of {', '.join(FLOWS)})")
    if not data["clock_mhz"] > 0:
        raise SbnHwError(f"board file {path}: field 'clock_mhz' must be > 0")
    _check(data, _VIVADO if flow == "vivado" else _OPEN, path)
    for key in _CAPACITY[flow]:
        v = data["capacity"].get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise SbnHwError(f"board file {path}: field 'capacity.{key}' = {v!r} is not valid (a count >= 0)")
    if flow == "vivado":
        if data["ps"] not in PS_KINDS:
            raise SbnHwError(f"board file {path}: field 'ps' = {data['ps']!r} is not valid (one of {', '.join(PS_KINDS)})")
        if data["data_port_width"] not in (32, 64, 128):
            raise SbnHwError(f"board file {path}: field 'data_port_width' = {data['data_port_width']!r} "
                             "is not valid (32, 64 or 128)")
    else:
        clock_pins = [k for k in data["pins"] if k.startswith("clk")]
        for key in _PINS:
            if key not in data["pins"]:
                raise SbnHwError(f"board file {path}: missing field 'pins.{key}'")
        if not clock_pins:
            raise SbnHwError(f"board file {path}: missing field 'pins.clk_<freq>' (the clock input's site)")
    known = {f for f in Board.__dataclass_fields__ if f not in ("path", "data")}
    return Board(**{k: v for k, v in data.items() if k in known}, path=Path(path), data=dict(data))
