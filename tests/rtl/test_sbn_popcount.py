"""Sweep rtl/sbn_popcount.v (with rtl/sbn_lut6.v and rtl/sbn_adder_tree.v) under Verilator: lane
counts around its 3-lane and 18-lane groups, XNOR and AND products, combinational and pipelined,
as synthesised (LUT tables) and as the behavioural model whole-accelerator runs use (SBN_FAST_SIM).
Yosys proves the two equal (SAT) for one 18-lane group with every kind of padding and for three
groups under the adder tree."""

import subprocess

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.accelerator import FAST_SIM_DEFINE
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb
from sbn_hw.verify.tools import yosys_command

SOURCES = [RTL_LIBRARY / f for f in ("sbn_popcount.v", "sbn_lut6.v", "sbn_adder_tree.v")]


def latency(n: int, levels: int) -> int:
    """sbn_popcount's LATENCY: the triples' counts and the group sums registered, then
    ceil(log2(groups) / levels)."""
    log_groups = max(0, (-(-n // 18) - 1).bit_length())
    return 0 if levels == 0 else 2 + -(-log_groups // levels)


@pytest.mark.parametrize("fast_model", [False, True], ids=["luts", "model"])
@pytest.mark.parametrize("n,lane_op,levels", [
    (1, 0, 0), (2, 1, 0), (17, 0, 0), (18, 1, 0), (19, 0, 0), (64, 1, 0),
    (1, 1, 1), (18, 0, 1), (37, 1, 1), (64, 0, 2), (256, 0, 2), (300, 1, 3)])
def test_sbn_popcount(n, lane_op, levels, fast_model, tmp_path):
    out_w = n.bit_length()
    params = {"N": n, "LANE_OP": lane_op, "OUT_W": out_w, "STAGE_LEVELS": levels}
    run_cocotb(SOURCES, "sbn_popcount", "test_sbn_popcount", SIM_DIR / "sbn_popcount", tmp_path / build_key(params),
               params, {"SBN_N": str(n), "SBN_LANE_OP": str(lane_op), "SBN_OUT_W": str(out_w),
                        "SBN_LATENCY": str(latency(n, levels))},
               defines={FAST_SIM_DEFINE: 1} if fast_model else None)


def equivalence_script(n: int, model_op: int, tables_op: int) -> str:
    """Yosys: the combinational popcount of n lanes, behavioural model (LANE_OP model_op) against
    LUT tables (LANE_OP tables_op), as a miter whose every output must agree for every input (SAT)."""
    lib = "sbn_popcount.v sbn_lut6.v sbn_adder_tree.v"  # relative: prove() runs in RTL_LIBRARY
    params = f"-set N {n} -set OUT_W {n.bit_length()}"
    return (f"design -reset; read_verilog -D{FAST_SIM_DEFINE} sbn_popcount.v; "
            f"chparam {params} -set LANE_OP {model_op} sbn_popcount; hierarchy -top sbn_popcount; "
            "rename sbn_popcount model; design -stash model; "
            f"read_verilog {lib}; chparam {params} -set LANE_OP {tables_op} sbn_popcount; hierarchy -top sbn_popcount; "
            "flatten; rename sbn_popcount tables; design -copy-from model -as model model; proc; opt_clean; "
            "miter -equiv -flatten -make_assert model tables miter; hierarchy -top miter; "
            "sat -verify -prove-asserts miter; ")


def prove(script: str) -> subprocess.CompletedProcess:
    # In the RTL folder with relative names: YoWASP's Yosys sees only the working directory's tree
    # (a checkout under /tmp is invisible to it by absolute path).
    return subprocess.run([*yosys_command(), "-q", "-p", script], capture_output=True, text=True, cwd=RTL_LIBRARY)


# Lane counts proved: one group with its last triple 1, 2 or 3 lanes deep and with fewer triples
# (1, 2, 3, 16, 17), a full group (18), and three groups under the tree (37). Each is about a second
# of SAT, 37 lanes five; 72 lanes took 90 s, so wider popcounts rest on the same tables under
# sbn_adder_tree (its own sweep) and on the module sweep above, which runs both forms up to 300 lanes.
PROVED_LANES = (1, 2, 3, 16, 17, 18, 37)


@pytest.mark.parametrize("lane_op", [0, 1], ids=["xnor", "and"])
def test_the_behavioural_model_is_proved_equal_to_the_lut_tables(lane_op):
    r = prove("".join(equivalence_script(n, lane_op, lane_op) for n in PROVED_LANES))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def test_the_proof_fails_on_a_different_count():
    # The check can fail: XNOR tables are not the AND model.
    r = prove(equivalence_script(5, 1, 0))
    assert r.returncode != 0 and "proof did fail" in (r.stdout + r.stderr)
