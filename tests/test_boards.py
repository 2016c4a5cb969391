"""Boards as data: every board file loads, a wrong name lists the known ones, a malformed file
is rejected naming its bad field, and a user's own file is accepted by path."""

import json

import pytest

from sbn_hw import SbnHwError
from sbn_hw.boards import PS_KINDS, Board, boards_dir, known_boards, load_board
from sbn_hw.flows.yosys import load_board as load_board_dict

PYNQ_BOARDS = {"pynq-z1": "xc7z020clg400-1", "pynq-z2": "xc7z020clg400-1", "ultra96-v2": "xczu3eg-sbva484-1-i",
               "zcu104": "xczu7ev-ffvc1156-2-e", "kv260": "xck26-sfvc784-2LV-c"}


def test_every_board_file_loads():
    names = known_boards()
    assert set(PYNQ_BOARDS) | {"ulx3s-85f"} <= set(names)
    for name in names:
        b = load_board(name)
        assert isinstance(b, Board) and b.name == name and b.path == boards_dir() / f"{name}.json"


@pytest.mark.parametrize("name,part", sorted(PYNQ_BOARDS.items()))
def test_pynq_boards(name, part):
    b = load_board(name)
    assert (b.flow, b.part) == ("vivado", part)
    assert b.ps in PS_KINDS and b.board_part.count(":") == 3 and b.board_part.split(":")[2] == "part0"
    zynqmp = b.ps == "zynq-ultrascale+"
    assert b.data_port == ("S_AXI_HP0_FPD" if zynqmp else "S_AXI_HP0")
    assert b.control_port == ("M_AXI_HPM0_FPD" if zynqmp else "M_AXI_GP0")
    assert b.data_port_width == (128 if zynqmp else 64)
    assert ("uram" in b.capacity) == zynqmp and b.capacity["lut"] > 50000


def test_ulx3s_is_an_open_flow_board_with_its_pins():
    b = load_board("ulx3s-85f")
    assert (b.flow, b.family, b.device, b.package) == ("open", "ecp5", "85k", "CABGA381")
    assert b.pins["clk_25mhz"] == "G2" and b.pins["uart_tx"] == "L4" and b.pins["uart_rx"] == "M1"
    assert len(b.pins["led"]) == 8 and b.pinout_source.startswith("https://github.com/emard/ulx3s/")


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(SbnHwError) as e:
        load_board("pynq-z9")
    for name in known_boards():
        assert name in str(e.value)


def test_yosys_flow_still_gets_the_board_as_a_dict():
    d = load_board_dict("pynq-z2")
    assert d["part"] == "xc7z020clg400-1" and d["capacity"]["bram36"] == 140
    with pytest.raises(SbnHwError, match="unknown board"):
        load_board_dict("nope")


def good_board() -> dict:
    return json.loads((boards_dir() / "pynq-z2.json").read_text()) | {"name": "my-board"}


def test_a_users_own_board_file_by_path(tmp_path):
    path = tmp_path / "my-board.json"
    path.write_text(json.dumps(good_board() | {"clock_mhz": 125}))
    b = load_board(str(path))
    assert (b.name, b.clock_mhz, b.path) == ("my-board", 125, path)


@pytest.mark.parametrize("change,field", [
    ({"part": None}, "part"),
    ({"board_part": 5}, "board_part"),
    ({"ps": "zynq-9000"}, "ps"),
    ({"flow": "quartus"}, "flow"),
    ({"clock_mhz": "fast"}, "clock_mhz"),
    ({"clock_mhz": 0}, "clock_mhz"),
    ({"capacity": {"lut": 1, "ff": 1, "dsp": 1}}, "capacity.bram36"),
    ({"data_port_width": 48}, "data_port_width"),
])
def test_malformed_board_file_names_the_field(tmp_path, change, field):
    data = good_board()
    for k, v in change.items():
        if v is None:
            del data[k]
        else:
            data[k] = v
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SbnHwError, match=rf"'{field}'"):
        load_board(path)


def test_open_board_needs_its_pins(tmp_path):
    data = json.loads((boards_dir() / "ulx3s-85f.json").read_text())
    del data["pins"]["uart_rx"]
    path = tmp_path / "ecp5.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SbnHwError, match="'pins.uart_rx'"):
        load_board(path)


def test_not_json_and_missing_file(tmp_path):
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(SbnHwError, match="not valid JSON"):
        load_board(tmp_path / "x.json")
    with pytest.raises(SbnHwError, match="does not exist"):
        load_board(tmp_path / "y.json")
