// sbn_popcount: the number of lanes i < N whose product of x[i] and w[i] is 1, built for 6-input LUTs.
// The product is XNOR (bipolar x bipolar: x == w) or AND ({0,1} operands), fused into the counting:
//   A  three lanes -> a 2-bit count {maj, xor} of their products: each bit is a function of six
//      inputs (three x, three w), one LUT6, so the product costs nothing of its own;
//   B  six 2-bit counts (18 lanes) -> a 5-bit sum: 6:3 counters over the low bits and over the
//      high bits (each output bit a function of six bits: one LUT6), then low + 2 * high (a short
//      carry chain). About 22 LUTs for 18 lanes.
//   C  the N/18 group sums added by sbn_adder_tree (carry-chain adders, 5-bit leaves).
// A and B are sbn_lut6 tables (the LUT6 primitive in Xilinx builds: exactly one LUT each).
// With STAGE_LEVELS = k > 0 the triples' counts (stage A) and the group sums are registered, then
// the tree every k levels and at its root: the count of the operands presented at a clock edge
// appears LATENCY = 2 + ceil(log2(G) / k) edges later, G = ceil(N / 18) (the last term 0 when G = 1); a new set may enter every cycle. With
// k = 0 everything is combinational and clk is unused.
module sbn_popcount #(
    parameter N            = 18,  // lanes (>= 1)
    parameter LANE_OP      = 0,   // lane product: 0 XNOR (x == w), 1 AND (x & w)
    parameter OUT_W        = 5,   // bits of the count (must hold N)
    parameter STAGE_LEVELS = 0    // 0: combinational; k > 0: register the triples' counts and the group sums, then every k tree levels
) (
    input  wire             clk,    // used only when STAGE_LEVELS > 0
    input  wire [N-1:0]     x,      // lane i's operands are x[i] and w[i]
    input  wire [N-1:0]     w,      // (the weights, in the MVAU)
    output wire [OUT_W-1:0] count
);
    localparam G     = (N + 17) / 18;                    // 18-lane groups (the last one padded with zero products)
    localparam SUM_W = 5;                                // a group's sum: 0..18
    localparam TW    = OUT_W > SUM_W ? OUT_W : SUM_W;    // the tree's width (holds N and a group's sum)

    // The lane product of operand bits a and b.
    function product(input a, input b);
        product = LANE_OP ? (a & b) : ~(a ^ b);
    endfunction
    // LUT contents: bit `b` of a count over the six inputs. PAIRS = 1 (stage A): the count of three
    // lane products, inputs {w2,x2,w1,x1,w0,x0}; PAIRS = 0 (stage B): the count of six bits (6:3).
    function [63:0] count_init(input integer pairs, input integer b);
        integer k;
        reg [2:0] c;
        begin
            for (k = 0; k < 64; k = k + 1) begin
                c = pairs ? product(k[0], k[1]) + product(k[2], k[3]) + product(k[4], k[5])
                          : k[0] + k[1] + k[2] + k[3] + k[4] + k[5];
                count_init[k] = c[b];
            end
        end
    endfunction

`ifdef SBN_FAST_SIM
    // Simulation model (the whole-accelerator bench defines SBN_FAST_SIM): the same count, with the
    // same LATENCY, computed by $countones instead of ~22 LUT tables per 18 lanes (which took most
    // of the simulator's time on a CNN). tests/rtl/test_sbn_popcount.py proves an 18-lane group
    // of tables equal to its count (Yosys SAT) and runs the module sweep on both forms.
    localparam LOG_G   = $clog2(G);
    localparam LATENCY = STAGE_LEVELS == 0 ? 0 : 2 + (LOG_G + STAGE_LEVELS - 1) / STAGE_LEVELS;
    wire [N-1:0]  prod  = LANE_OP ? (x & w) : ~(x ^ w);
    wire [TW-1:0] now   = $countones(prod);
    generate if (LATENCY == 0) begin : g_now
        assign count = now[OUT_W-1:0];
    end else begin : g_delay
        reg [TW-1:0] q [0:LATENCY-1];
        integer d;
        always @(posedge clk) begin
            q[0] <= now;
            for (d = 1; d < LATENCY; d = d + 1) q[d] <= q[d-1];
        end
        assign count = q[LATENCY-1][OUT_W-1:0];
    end endgenerate
`else
    wire [G*SUM_W-1:0] group_sum;
    genvar gg, gt, gl, gb;
    generate
        for (gg = 0; gg < G; gg = gg + 1) begin : g_group
            wire [5:0] lo, hi;                           // stage A: the six triples' count bits
            for (gt = 0; gt < 6; gt = gt + 1) begin : g_triple
                if (gg * 18 + gt * 3 < N) begin : g_on
                    wire [5:0] ops;                      // {w2, x2, w1, x1, w0, x0}
                    for (gl = 0; gl < 3; gl = gl + 1) begin : g_lane
                        localparam LANE = gg * 18 + gt * 3 + gl;
                        if (LANE < N) begin : g_lane_on
                            assign ops[2*gl +: 2] = {w[LANE], x[LANE]};
                        end else begin : g_lane_pad
                            // Operands whose product is 0: x = 0, w = 1 (XNOR) or 0 (AND).
                            assign ops[2*gl +: 2] = {LANE_OP ? 1'b0 : 1'b1, 1'b0};
                        end
                    end
                    sbn_lut6 #(.INIT(count_init(1, 0))) u_lo (.i(ops), .o(lo[gt]));
                    sbn_lut6 #(.INIT(count_init(1, 1))) u_hi (.i(ops), .o(hi[gt]));
                end else begin : g_off
                    assign {hi[gt], lo[gt]} = 2'b00;     // a triple wholly past N
                end
            end
            // Pipelined: stage A registered. A LUT6 is one level on Xilinx but two or three (LUT4s
            // and their muxes) on 4-input-LUT parts; A, B and the add in one cycle missed 150 MHz on ECP5.
            wire [5:0] lo_b, hi_b;
            if (STAGE_LEVELS > 0) begin : g_a_reg
                reg [5:0] lo_q, hi_q;
                always @(posedge clk) begin
                    lo_q <= lo;
                    hi_q <= hi;
                end
                assign lo_b = lo_q;
                assign hi_b = hi_q;
            end else begin : g_a_comb
                assign lo_b = lo;
                assign hi_b = hi;
            end
            // Stage B: sum = count6(lo) + 2 * count6(hi).
            wire [2:0] u, v;
            for (gb = 0; gb < 3; gb = gb + 1) begin : g_count
                sbn_lut6 #(.INIT(count_init(0, gb))) u_lo6 (.i(lo_b), .o(u[gb]));
                sbn_lut6 #(.INIT(count_init(0, gb))) u_hi6 (.i(hi_b), .o(v[gb]));
            end
            assign group_sum[gg*SUM_W +: SUM_W] = {2'b00, u} + {1'b0, v, 1'b0};
        end

        wire [G*SUM_W-1:0] leaves;
        if (STAGE_LEVELS > 0) begin : g_reg
            reg [G*SUM_W-1:0] q;
            always @(posedge clk) q <= group_sum;
            assign leaves = q;
        end else begin : g_comb
            assign leaves = group_sum;
        end
        wire [TW-1:0] total;
        sbn_adder_tree #(.N(G), .IN_W(SUM_W), .OUT_W(TW), .SIGNED(0), .STAGE_LEVELS(STAGE_LEVELS)) u_tree (
            .clk(clk), .in_data(leaves), .sum(total));
        assign count = total[OUT_W-1:0];
    endgenerate
`endif
endmodule
