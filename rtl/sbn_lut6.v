// sbn_lut6: one 6-input lookup table, o = INIT[i]. With SBN_XILINX defined (the Yosys xc7 flow,
// flows/yosys/synth_xc7.ys) it is the LUT6 primitive, so Yosys keeps the function in exactly one
// LUT instead of re-mapping it (its ABC9 costs favour several small LUTs). Elsewhere it is the
// plain table: simulators, ECP5's 4-input LUTs, and Vivado, whose mapper puts a 6-input function
// in one LUT6 by itself.
module sbn_lut6 #(
    parameter [63:0] INIT = 64'h0   // bit k is the output for input value k (i[0] the least significant)
) (
    input  wire [5:0] i,   // the table's address
    output wire       o    // INIT[i]
);
`ifdef SBN_XILINX
    LUT6 #(.INIT(INIT)) u_lut (.O(o), .I0(i[0]), .I1(i[1]), .I2(i[2]), .I3(i[3]), .I4(i[4]), .I5(i[5]));
`else
    assign o = INIT[i];
`endif
endmodule
