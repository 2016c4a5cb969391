// sbn_adder_tree: sum of N values by a balanced tree of depth ceil(log2(N)), optionally pipelined.
// Each level is one bit wider than the level below (capped at OUT_W), so narrow inputs make a
// narrow tree. Values are two's complement when SIGNED=1, unsigned otherwise.
// With STAGE_LEVELS = k > 0 the partial sums are registered after every k-th level and after the
// root, so the sum of the values presented at a clock edge appears LATENCY = ceil(log2(N) / k)
// edges later (a new set of values may enter every cycle; nothing stalls). With k = 0 the tree is
// combinational and clk is unused.
module sbn_adder_tree #(
    parameter N            = 8,   // number of values to add (>= 1)
    parameter IN_W         = 1,   // bits per value
    parameter OUT_W        = 4,   // bits of the sum (must hold it; >= IN_W)
    parameter SIGNED       = 0,   // 1: values and sum are two's complement
    parameter STAGE_LEVELS = 0    // 0: combinational; k > 0: register every k levels and the root
) (
    input  wire              clk,       // used only when STAGE_LEVELS > 0
    input  wire [N*IN_W-1:0] in_data,   // value i at bits [i*IN_W +: IN_W]
    output wire [OUT_W-1:0]  sum
);
    localparam LOG_N = $clog2(N);
    localparam N_P2  = 1 << LOG_N;
    // Cycles from in_data to sum (sbn_mvau's TREE_LAT for MODE=0; sbn_popcount adds two to it).
    localparam LATENCY = (STAGE_LEVELS == 0 || LOG_N == 0) ? 0 : (LOG_N + STAGE_LEVELS - 1) / STAGE_LEVELS;
`ifdef SBN_FAST_SIM
    // Simulation model (the whole-accelerator bench defines SBN_FAST_SIM): the same sum with the
    // same LATENCY, one loop over the N values and a delay line, instead of the padded power-of-two
    // tree and its wide level registers. The tree's levels are capped at OUT_W bits, so its sum is
    // the exact sum modulo 2^OUT_W, which is what the loop computes. The module sweep
    // (tests/rtl/test_streams.py) runs both forms.
    function [OUT_W-1:0] total(input [N*IN_W-1:0] d);
        integer i;
        reg [IN_W-1:0] v;
        begin
            total = {OUT_W{1'b0}};
            for (i = 0; i < N; i = i + 1) begin
                v = d[i*IN_W +: IN_W];
                total = total + (SIGNED ? {{OUT_W{v[IN_W-1]}}, v} : {{OUT_W{1'b0}}, v});
            end
        end
    endfunction
    generate if (LATENCY == 0) begin : g_now
        assign sum = total(in_data);
    end else begin : g_delay
        reg [OUT_W-1:0] q [0:LATENCY-1];
        integer d;
        always @(posedge clk) begin
            q[0] <= total(in_data);
            for (d = 1; d < LATENCY; d = d + 1) q[d] <= q[d-1];
        end
        assign sum = q[LATENCY-1];
    end endgenerate
`else
    genvar gl, gi;
    generate
        for (gl = 0; gl <= LOG_N; gl = gl + 1) begin : g_lvl
            localparam LW  = (IN_W + gl < OUT_W) ? IN_W + gl : OUT_W;           // this level
            localparam LWP = (IN_W + gl - 1 < OUT_W) ? IN_W + gl - 1 : OUT_W;   // level below
            // Registered level: every STAGE_LEVELS-th and the root (never the leaves).
            localparam REG = (STAGE_LEVELS > 0) && (gl > 0) && ((gl % STAGE_LEVELS == 0) || (gl == LOG_N));
            wire [(N_P2 >> gl)*LW-1:0] v;
            if (gl == 0) begin : g_leaves
                for (gi = 0; gi < N_P2; gi = gi + 1) begin : g_leaf
                    if (gi < N) begin : g_in
                        assign v[gi*LW +: LW] = in_data[gi*IN_W +: IN_W];
                    end else begin : g_pad
                        assign v[gi*LW +: LW] = {LW{1'b0}};
                    end
                end
            end else begin : g_sums
                wire [(N_P2 >> gl)*LW-1:0] s;
                for (gi = 0; gi < (N_P2 >> gl); gi = gi + 1) begin : g_add
                    wire [LWP-1:0] a = g_lvl[gl-1].v[(2*gi)*LWP +: LWP];
                    wire [LWP-1:0] b = g_lvl[gl-1].v[(2*gi+1)*LWP +: LWP];
                    // Widen by sign extension (SIGNED) or zero extension before adding.
                    if (SIGNED) begin : g_s
                        assign s[gi*LW +: LW] = $signed(a) + $signed(b);
                    end else begin : g_u
                        assign s[gi*LW +: LW] = a + b;
                    end
                end
                if (REG) begin : g_reg
                    reg [(N_P2 >> gl)*LW-1:0] q;
                    always @(posedge clk) q <= s;
                    assign v = q;
                end else begin : g_comb
                    assign v = s;
                end
            end
        end
        localparam RW = (IN_W + LOG_N < OUT_W) ? IN_W + LOG_N : OUT_W;
        wire [RW-1:0] root = g_lvl[LOG_N].v[0 +: RW];
        if (SIGNED) begin : g_root_s
            assign sum = $signed(root);
        end else begin : g_root_u
            assign sum = root;
        end
    endgenerate
`endif
endmodule
