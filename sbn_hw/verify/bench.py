"""The whole-accelerator stream harness, in Verilog: the per-cycle work of a simulation (random
input stalls and output backpressure, driving the input stream, capturing the output stream and
every layer's internal stream) runs inside the simulator, so Verilator runs at its own speed and
cocotb only starts phases and checks the captured streams afterwards.

The harness (module sbn_accel_bench, written next to the generated RTL; simulation only) holds:
  - a source: n_in input words from bench_in.mem ($readmemh), starting at word in_base (so a long
    run streams its frames in chunks, one phase each), s_axis_tvalid withheld in a cycle with
    probability in_stall / 65536 (a xorshift generator per stream, seeded by `seed`);
  - a sink: m_axis_tready low in a cycle with probability out_stall / 65536; each output word is
    written to out.txt as "<cycle> <hex word>" (the cycles give the throughput);
  - taps: with `record` high, each layer's output handshakes (l<i>_out inside the top) are written
    to tap<i>.txt, one hex word per line;
  - done: n_out output words taken and, while recording, every layer's whole stream seen (a max-pool
    drops a map's trailing rows, so the layer before it may still be sending after the last
    output word); the files are then closed. hung: no handshake on either port for idle_limit
    cycles while words are still due (the liveness check). file_error: a capture file could not be
    opened (the phase ends at once).
The stream generators are seeded from `seed` when a phase starts.
"""

from __future__ import annotations

from sbn_hw.compile.accel import Accelerator
from sbn_hw.rtlgen.generate import TOP_NAME

BENCH_TOP = "sbn_accel_bench"
INPUT_FILE = "bench_in.mem"
OUTPUT_FILE = "out.txt"


def tap_file(i: int) -> str:
    return f"tap{i}.txt"


def _port(decl: str, name: str, comment: str) -> str:
    """A harness port, public to VPI (the only signals the bench touches)."""
    return f"    {decl} {name} /*verilator public_flat_rw*/,  // {comment}"


PORTS = [
    ("output reg        ", "clk", "the harness' own 100 MHz clock (below): no call into cocotb per cycle"),
    ("input  wire       ", "rst", "synchronous, active high: resets the accelerator and the harness"),
    ("input  wire       ", "start", "a rising edge (after reset) starts a phase: files open, words flow"),
    ("input  wire       ", "record", "1: write every layer's stream to tap<i>.txt during the phase"),
    ("input  wire [31:0]", "in_base", f"the phase's first input word in {INPUT_FILE} (a chunk of frames starts there)"),
    ("input  wire [31:0]", "n_in", f"input words to send (from word in_base of {INPUT_FILE})"),
    ("input  wire [31:0]", "n_out", "output words to take; with record, the frames are n_out / the last layer's words per frame"),
    ("input  wire [15:0]", "in_stall", "P(s_axis_tvalid withheld in a cycle) x 65536"),
    ("input  wire [15:0]", "out_stall", "P(m_axis_tready low in a cycle) x 65536"),
    ("input  wire [31:0]", "seed", "random stream seed, taken when a phase starts"),
    ("input  wire [31:0]", "idle_limit", "cycles without any handshake before hung"),
    ("output reg        ", "done", "the phase ended with every word seen"),
    ("output reg        ", "hung", "the phase ended without: no handshake for idle_limit cycles"),
    ("output reg        ", "file_error", "a capture file could not be opened (the phase ended at once)"),
    ("output reg  [31:0]", "out_count", "output words taken so far (progress)"),
    ("output reg  [31:0]", "in_count", "input words accepted so far"),
    ("output reg  [31:0]", "cycle", "cycles the phase has run (the simulated cycles it counts)"),
]


def _ports() -> str:
    lines = [_port(*p) for p in PORTS]
    lines[-1] = lines[-1].replace(" /*verilator public_flat_rw*/,", " /*verilator public_flat_rw*/ ")
    return "\n".join(lines)


def _tap_decls(accel: Accelerator) -> str:
    """Per internal stream: its file, its word count, and its words per frame."""
    return "".join(f"    integer     fd_tap{i};\n    reg  [31:0] tap_count{i};\n"
                   f"    localparam [31:0] TAP_WORDS{i} = {l.out_words};  // {l.name}'s output words per frame\n"
                   for i, l in enumerate(accel.layers[:-1]))


def _tap_opens(accel: Accelerator) -> str:
    return "".join(f'                fd_tap{i} = $fopen("{tap_file(i)}", "w");\n'
                   f'                if (fd_tap{i} == 0) begin $display("sbn_accel_bench: cannot write {tap_file(i)}"); '
                   f"file_error <= 1'b1; end\n" for i in range(len(accel.layers) - 1))


def _tap_captures(accel: Accelerator) -> str:
    return "".join(f"            if (recording && u_dut.l{i}_out_tvalid && u_dut.l{i}_out_tready) begin\n"
                   f'                $fwrite(fd_tap{i}, "%h\\n", u_dut.l{i}_out_tdata);\n'
                   f"                tap_count{i} <= tap_count{i} + 1;\n            end\n"
                   for i in range(len(accel.layers) - 1))


def _tap_moved(accel: Accelerator) -> str:
    """A recorded stream moved this cycle (the drain after the last output word is not idle)."""
    n = len(accel.layers) - 1
    if n == 0:
        return "1'b0"
    return "recording && (" + " || ".join(f"(u_dut.l{i}_out_tvalid && u_dut.l{i}_out_tready)" for i in range(n)) + ")"


def _taps_complete(accel: Accelerator) -> str:
    """Every recorded stream has all its words (frames = n_out / the last layer's words per frame)."""
    n = len(accel.layers) - 1
    if n == 0:
        return "1'b1"
    frames = f"(n_out / {accel.layers[-1].out_words})"
    return "(!recording || (" + " && ".join(f"tap_count{i} >= {frames} * TAP_WORDS{i}" for i in range(n)) + "))"


def bench_verilog(accel: Accelerator, n_words_max: int) -> str:
    """sbn_accel_bench around the generated top; n_words_max: the input memory's depth (words)."""
    layers = accel.layers
    in_w = layers[0].simd * layers[0].in_bits
    out_w = layers[-1].pe * layers[-1].out_bits
    depth = max(1, n_words_max)
    n_taps = len(layers) - 1
    resets = "".join(f" tap_count{i} <= 0;" for i in range(n_taps))
    closes = "".join(f"                $fclose(fd_tap{i});\n" for i in range(n_taps))
    return f"""// Generated by sbn-hw (sbn_hw/verify/bench.py): the stream harness of {TOP_NAME}, for simulation only.
// Source with random stalls, sink with random backpressure, every layer's stream written to a file;
// see sbn_hw/verify/bench.py for the protocol with the cocotb bench (sim/accelerator). Only the
// ports are public (VPI): the bench is built without --public-flat-rw, so Verilator optimises the rest.
`timescale 1ns / 1ps
module {BENCH_TOP} (
{_ports()}
);
    // The clock toggles inside the simulator (built with --timing): driving it from cocotb cost
    // about 1 us of simulator interface calls per cycle.
    initial clk = 1'b0;
    always #5 clk = ~clk;

    reg  [{in_w - 1}:0] in_mem [0:{depth - 1}];
    initial $readmemh("{INPUT_FILE}", in_mem);

    reg  [{in_w - 1}:0] s_data;
    reg         s_valid;
    wire        s_ready;
    wire [{out_w - 1}:0] m_data;
    wire        m_valid;
    reg         m_ready;
    {TOP_NAME} u_dut (
        .clk(clk), .rst(rst),
        .s_axis_tdata(s_data), .s_axis_tvalid(s_valid), .s_axis_tready(s_ready),
        .m_axis_tdata(m_data), .m_axis_tvalid(m_valid), .m_axis_tready(m_ready)
    );

    // xorshift32 generators, one per stream.
    function [31:0] xorshift(input [31:0] v);
        reg [31:0] a;
        begin
            a = v ^ (v << 13);
            a = a ^ (a >> 17);
            xorshift = a ^ (a << 5);
        end
    endfunction
    reg  [31:0] rnd_in, rnd_out, idle;
    reg         running, recording, start_q;
    integer     fd_out;
{_tap_decls(accel)}
    wire        take_in  = s_valid && s_ready;
    wire        take_out = m_valid && m_ready;
    wire [31:0] next_in  = in_count + {{31'd0, take_in}};
    wire [31:0] next_out = out_count + {{31'd0, take_out}};
    wire        out_done = (next_out == n_out);
    wire        finished = out_done && {_taps_complete(accel)};
    wire        tap_moved = {_tap_moved(accel)};

    always @(posedge clk) begin
        start_q <= start;
        if (rst) begin
            running <= 1'b0; recording <= 1'b0; done <= 1'b0; hung <= 1'b0; file_error <= 1'b0;
            s_valid <= 1'b0; m_ready <= 1'b0; in_count <= 0; out_count <= 0; cycle <= 0; idle <= 0;{resets}
        end else if (start && !start_q && !running && !done && !hung && !file_error) begin
            running <= 1'b1;
            recording <= record;
            rnd_in <= seed | 32'd1;
            rnd_out <= (seed ^ 32'h9e3779b9) | 32'd1;
            fd_out = $fopen("{OUTPUT_FILE}", "w");
            if (fd_out == 0) begin $display("sbn_accel_bench: cannot write {OUTPUT_FILE}"); file_error <= 1'b1; end
            if (record) begin
{_tap_opens(accel)}            end
        end else if (running) begin
            cycle <= cycle + 1;
            rnd_in <= xorshift(rnd_in);
            rnd_out <= xorshift(rnd_out);
            // Source: a word stays on the stream until taken; then the next one, unless stalled.
            in_count <= next_in;
            if (!s_valid || s_ready) begin
                s_valid <= (next_in < n_in) && (rnd_in[15:0] >= in_stall);
                s_data  <= in_mem[in_base + next_in < {depth} ? in_base + next_in : 0];
            end
            // Sink: takes words while output is due.
            m_ready <= !out_done && (rnd_out[15:0] >= out_stall);
            if (take_out) begin
                out_count <= next_out;
                $fwrite(fd_out, "%0d %h\\n", cycle, m_data);
            end
{_tap_captures(accel)}            idle <= (take_in || take_out || tap_moved) ? 0 : idle + 1;
            if (finished || file_error || idle > idle_limit) begin
                running <= 1'b0;
                s_valid <= 1'b0;
                m_ready <= 1'b0;
                done <= finished && !file_error;
                hung <= !finished && !file_error;
                $fclose(fd_out);
                if (recording) begin
{closes}                end
            end
        end
    end
endmodule
"""
