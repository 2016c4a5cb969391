"""Sweep the stream plumbing (rtl/axis_fifo.v, rtl/axis_skid.v, rtl/axis_dwc.v) under Verilator, backpressure on,
and rtl/sbn_adder_tree.v (combinational and pipelined)."""

import pytest

from sbn_hw.rtlgen.generate import RTL_LIBRARY
from sbn_hw.verify.runner import SIM_DIR, build_key, run_cocotb


@pytest.mark.parametrize("width,depth,out_reg,style", [(1, 4, 0, "auto"), (13, 16, 0, "auto"), (1, 2, 1, "auto"),
                                                     (13, 5, 1, "auto"), (7, 16, 1, "auto"), (7, 16, 1, "distributed"),
                                                     (3, 8, 0, "distributed")])
def test_axis_fifo(width, depth, out_reg, style, tmp_path):
    params = {"WIDTH": width, "DEPTH": depth, "OUT_REG": out_reg, "RAM_STYLE": f'"{style}"'}
    run_cocotb([RTL_LIBRARY / "axis_fifo.v"], "axis_fifo", "test_axis_fifo", SIM_DIR / "axis_fifo",
               tmp_path / build_key(params), params, {"SBN_WIDTH": str(width)})


@pytest.mark.parametrize("width,group_bits", [(1, 64), (12, 64), (12, 5), (150, 64)])
def test_axis_skid(width, group_bits, tmp_path):
    """The register slice passes the FIFO bench (order, reset in flight, liveness): the same ports.
    Widths over GROUP_BITS hold the word in groups with their own copies of the control."""
    params = {"WIDTH": width, "GROUP_BITS": group_bits}
    run_cocotb([RTL_LIBRARY / "axis_skid.v"], "axis_skid", "test_axis_fifo", SIM_DIR / "axis_fifo",
               tmp_path / build_key(params), params, {"SBN_WIDTH": str(width)})


@pytest.mark.parametrize("ew,in_n,out_n", [(1, 4, 16), (2, 4, 8), (1, 4, 64), (3, 6, 2), (1, 8, 4), (1, 8, 8)])
def test_axis_dwc(ew, in_n, out_n, tmp_path):
    params = {"EW": ew, "IN_N": in_n, "OUT_N": out_n}
    run_cocotb([RTL_LIBRARY / "axis_dwc.v"], "axis_dwc", "test_axis_dwc", SIM_DIR / "axis_dwc",
               tmp_path / build_key(params), params,
               {"SBN_EW": str(ew), "SBN_IN_N": str(in_n), "SBN_OUT_N": str(out_n)})


@pytest.mark.parametrize("n,in_w,out_w,signed,levels", [
    (1, 1, 2, 0, 0), (7, 1, 3, 0, 0), (5, 9, 13, 1, 0), (16, 4, 9, 1, 0),
    # pipelined: a register every `levels` levels and at the root (latency ceil(log2 n / levels))
    (1, 1, 2, 0, 1), (7, 1, 3, 0, 1), (5, 9, 13, 1, 2), (16, 4, 9, 1, 3), (32, 1, 6, 0, 2)])
@pytest.mark.parametrize("fast_model", [False, True], ids=["tree", "model"])
def test_sbn_adder_tree(n, in_w, out_w, signed, levels, fast_model, tmp_path):
    """As synthesised, and as the behavioural model whole-accelerator runs use (SBN_FAST_SIM: a loop
    and a delay line): the same sums at the same latency."""
    from sbn_hw.verify.accelerator import FAST_SIM_DEFINE

    params = {"N": n, "IN_W": in_w, "OUT_W": out_w, "SIGNED": signed, "STAGE_LEVELS": levels}
    log_n = max(0, (n - 1).bit_length())
    latency = 0 if levels == 0 or log_n == 0 else -(-log_n // levels)
    run_cocotb([RTL_LIBRARY / "sbn_adder_tree.v"], "sbn_adder_tree", "test_sbn_adder_tree", SIM_DIR / "sbn_adder_tree",
               tmp_path / build_key(params), params,
               {"SBN_N": str(n), "SBN_IN_W": str(in_w), "SBN_OUT_W": str(out_w), "SBN_SIGNED": str(signed),
                "SBN_LATENCY": str(latency)}, defines={FAST_SIM_DEFINE: 1} if fast_model else None)


@pytest.mark.parametrize("in_n,out_n", [(4, 6), (6, 4)])
def test_axis_dwc_refuses_a_ratio_that_is_not_whole(in_n, out_n):
    """IN_N and OUT_N must divide one another: elaboration stops, naming the rule."""
    import subprocess

    from sbn_hw.verify.tools import verilator_env

    run = subprocess.run(["verilator", "--lint-only", "-Wno-fatal", f"-GIN_N={in_n}", f"-GOUT_N={out_n}",
                          str(RTL_LIBRARY / "axis_dwc.v")], capture_output=True, text=True, env=verilator_env())
    assert run.returncode != 0
    assert "axis_dwc_IN_N_and_OUT_N_must_divide_one_another" in run.stderr + run.stdout


# Units that break the AXI-Stream rule on m_axis, with the FIFO bench's ports: one drops a word it
# offered after a cycle, one changes the word while it waits. The benches' driver must name it.
BROKEN_UNITS = {
    "drops": ("v <= 1'b0;", "m_axis_tvalid fell before the word offered"),
    "changes": ("d <= ~d;", "m_axis_tdata changed from"),
}


@pytest.mark.parametrize("fault", sorted(BROKEN_UNITS))
def test_stream_benches_catch_a_unit_that_breaks_the_stream_rule(fault, tmp_path):
    from sbn_hw import SbnHwError

    stall_action, message = BROKEN_UNITS[fault]
    unit = tmp_path / "axis_fifo.v"
    unit.write_text(f"""module axis_fifo #(parameter WIDTH = 8, parameter DEPTH = 16) (
    input wire clk, input wire rst,
    input wire [WIDTH-1:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready);
    reg [WIDTH-1:0] d;
    reg v;
    assign s_axis_tready = !v;
    assign m_axis_tdata = d;
    assign m_axis_tvalid = v;
    always @(posedge clk)
        if (rst) v <= 1'b0;
        else if (!v) begin if (s_axis_tvalid) begin d <= s_axis_tdata; v <= 1'b1; end end
        else if (m_axis_tready) v <= 1'b0;
        else {stall_action}
endmodule
""")
    with pytest.raises(SbnHwError, match=message):
        run_cocotb([unit], "axis_fifo", "test_axis_fifo", SIM_DIR / "axis_fifo", tmp_path / "build", {"WIDTH": 8},
                   {"SBN_WIDTH": "8"})
