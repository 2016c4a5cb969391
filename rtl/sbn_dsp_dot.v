// sbn_dsp_dot: sum_i (w_i ? +x_i : -x_i) over N integer inputs x and bipolar weights w, built for
// DSP48 slices: two lanes per multiplier, multipliers chained through their post-adders.
//
// Two lanes a, b share one 25x18 multiply:
//   (x_a + x_b * 2^16) * (s_b + s_a * 2^16) = x_a s_b + (x_a s_a + x_b s_b) * 2^16 + x_b s_a * 2^32
// with s = w ? +1 : -1. The middle term is the pair's dot product. Up to CHAIN pairs are summed
// by the post-adders of a systolic chain (stage k's inputs delayed k cycles, its P added to the
// next stage's product: the PCOUT -> PCIN cascade), and 2^15 is added at the chain's start, so the
// chain's dot product is bits [16 +: MID_W] of its last P: the low terms' sum stays within
// +-2^15 and the middle sum within MID_W bits (see the range note below), so neither spills into
// the next field.
// The pre-adder forms x_a + x_b * 2^16: for unsigned inputs a plain concatenation; for signed ones
// an add, which synthesis puts in the DSP when one PE uses it and in LUTs (about X_W per pair,
// shared by the PEs) otherwise. B is the weight pair's two's complement {~w_a, w_b, 15 x ~w_b, 1}.
// The chains' sums meet in sbn_adder_tree.
//
// PE dot products share the inputs (and their skew registers); each has its own weights, chains
// and tree. Stage k's input operands wait k cycles in registers shared by the PEs; there are no
// A/D/B registers in the DSPs (the operands arrive registered, and the shared x registers drive
// every PE's DSPs); M and P are the DSP's registers.
//
// Timing: the inputs presented at a clock edge give their sums LATENCY edges later; a new set may
// enter every cycle (nothing stalls). LATENCY = CL + 1 + the adder tree's latency, CL = the pairs
// per chain (CHAIN, or fewer when N is small).
module sbn_dsp_dot #(
    parameter N            = 16,  // lanes (>= 1); an odd N leaves the last pair's b lane at zero
    parameter PE           = 1,   // dot products over the same inputs
    parameter IN_BITS      = 8,   // bits per input element
    parameter IN_SIGNED    = 0,   // inputs are two's complement
    parameter OUT_W        = 16,  // bits of each two's complement sum (must hold it)
    parameter CHAIN        = 8,   // multiplier pairs per post-adder chain (1..16; fewer if N is small)
    parameter STAGE_LEVELS = 2    // the adder tree over the chains: registered every STAGE_LEVELS levels
) (
    input  wire                 clk,
    input  wire                 rst,    // synchronous: clears the skew registers (nothing else needs it)
    input  wire [N*IN_BITS-1:0] x,      // lane i at bits [i*IN_BITS +: IN_BITS]
    input  wire [PE*N-1:0]      w,      // dot product p's lane i weight at bit p*N + i: 1 = +1, 0 = -1
    output wire [PE*OUT_W-1:0]  sum     // dot product p at bits [p*OUT_W +: OUT_W]
);
    localparam X_W    = IN_BITS + 1;                        // x widened to signed
    localparam NP     = (N + 1) / 2;                        // multiplier pairs
    localparam CH     = CHAIN < 1 ? 1 : CHAIN;              // (a CHAIN < 1 is refused below)
    localparam CL     = CH < NP ? CH : NP;                  // stages per chain
    localparam NC     = (NP + CL - 1) / CL;                 // chains
    localparam LOG_2C = $clog2(2 * CL);
    localparam MID_W  = X_W + LOG_2C;                       // a chain's sum (2*CL lanes of X_W bits)
    localparam SHIFT  = 16;
    localparam LOG_NC = $clog2(NC);
    localparam TREE_LAT = (STAGE_LEVELS == 0 || LOG_NC == 0) ? 0 : (LOG_NC + STAGE_LEVELS - 1) / STAGE_LEVELS;
    localparam LATENCY  = CL + 1 + TREE_LAT;
    // In range, a chain's low terms stay within +-CL * 2^IN_BITS <= 2^12 and its middle sum within
    // MID_W <= 14 bits: the fields never meet. x_b * 2^16 + x_a needs X_W + 16 <= 25 bits.
    initial begin
        if (IN_BITS < 1 || IN_BITS > 8 || CHAIN < 1 || CHAIN > 16) begin
            $display("sbn_dsp_dot: IN_BITS=%0d CHAIN=%0d out of range (1 <= IN_BITS <= 8, 1 <= CHAIN <= 16)", IN_BITS, CHAIN);
            $finish;
        end
    end

    genvar gc, gk, gp;
    generate
        for (gc = 0; gc < NC; gc = gc + 1) begin : g_chain
            // A short last chain starts later so every chain's sum is ready at the same edge.
            localparam LEN  = (gc == NC - 1) ? NP - gc * CL : CL;
            localparam LEAD = CL - LEN;
            for (gk = 0; gk < LEN; gk = gk + 1) begin : g_stage
                localparam PAIR = gc * CL + gk;
                localparam SKEW = LEAD + gk;                // cycles this stage's operands wait
                // Inputs: x_b * 2^16 + x_a is the pre-adder's D + A; skewed once for all PEs. The
                // pair's operands as signed X_W bits (x_b = 0 past the last lane).
                localparam LA = 2 * PAIR;
                localparam LB = 2 * PAIR + 1;
                wire [X_W-1:0] xa = {IN_SIGNED ? x[LA*IN_BITS+IN_BITS-1] : 1'b0, x[LA*IN_BITS +: IN_BITS]};
                wire [X_W-1:0] xb;
                if (LB < N) begin : g_b
                    assign xb = {IN_SIGNED ? x[LB*IN_BITS+IN_BITS-1] : 1'b0, x[LB*IN_BITS +: IN_BITS]};
                end else begin : g_no_b
                    assign xb = {X_W{1'b0}};
                end
                wire [2*X_W-1:0] xs_in = {xb, xa};
                wire [2*X_W-1:0] xs;
                wire [PE*2-1:0]  ws_in, ws;                 // the pair's weights, {w_b, w_a} per PE
                for (gp = 0; gp < PE; gp = gp + 1) begin : g_w
                    assign ws_in[2*gp +: 2] = {(2 * PAIR + 1 < N) ? w[gp*N + 2*PAIR + 1] : 1'b1, w[gp*N + 2*PAIR]};
                end
                if (SKEW == 0) begin : g_now
                    assign xs = xs_in;
                    assign ws = ws_in;
                end else begin : g_skew
                    wire [2*X_W+2*PE-1:0] tap [0:SKEW];
                    assign tap[0] = {ws_in, xs_in};
                    genvar gs;
                    for (gs = 1; gs <= SKEW; gs = gs + 1) begin : g_d
                        reg [2*X_W+2*PE-1:0] q;
                        // The reset costs nothing (a flip-flop's own reset pin) and keeps synthesis from
                        // packing a chain of three or more into a shift-register LUT per bit: the
                        // xc7z020 has twice as many flip-flops as LUTs.
                        always @(posedge clk) q <= rst ? {(2*X_W+2*PE){1'b0}} : tap[gs - 1];
                        assign tap[gs] = q;
                    end
                    assign {ws, xs} = tap[SKEW];
                end
                wire signed [X_W-1:0] sa = xs[X_W-1:0];
                wire signed [X_W-1:0] sb = xs[2*X_W-1:X_W];
                wire signed [24:0]    ad = sa + (sb <<< SHIFT);  // the 25-bit pre-adder (never overflows)
                for (gp = 0; gp < PE; gp = gp + 1) begin : g_dsp
                    // Multiplier (M register), post-adder (P register, the chain's cascade).
                    wire signed [17:0] b = {~ws[2*gp], ws[2*gp+1], {(SHIFT - 1){~ws[2*gp+1]}}, 1'b1};
                    reg signed [47:0] m_q, p_q;
                    wire signed [47:0] p_in;                // the chain so far; at its start, the rounding 2^15
                    if (gk == 0) begin : g_first
                        assign p_in = 48'sd1 <<< (SHIFT - 1);
                    end else begin : g_next
                        assign p_in = g_stage[gk - 1].g_dsp[gp].p_q;
                    end
                    always @(posedge clk) begin
                        m_q <= ad * b;
                        p_q <= m_q + p_in;
                    end
                end
            end
        end
    endgenerate

    // Per PE: the chains' sums (bits [16 +: MID_W] of each chain's last P) through an adder tree.
    generate
        for (gp = 0; gp < PE; gp = gp + 1) begin : g_pe
            wire [NC*MID_W-1:0] chain_sum;
            for (gc = 0; gc < NC; gc = gc + 1) begin : g_cs
                localparam LEN = (gc == NC - 1) ? NP - gc * CL : CL;
                assign chain_sum[gc*MID_W +: MID_W] = g_chain[gc].g_stage[LEN - 1].g_dsp[gp].p_q[SHIFT +: MID_W];
            end
            sbn_adder_tree #(.N(NC), .IN_W(MID_W), .OUT_W(OUT_W), .SIGNED(1), .STAGE_LEVELS(STAGE_LEVELS)) u_sum (
                .clk(clk), .in_data(chain_sum), .sum(sum[gp*OUT_W +: OUT_W]));
        end
    endgenerate
endmodule
