// axis_skid: a fully registered AXI-Stream slice (skid buffer). m_axis_tvalid/tdata and
// s_axis_tready all come from flip-flops, so no combinational path crosses it in either direction:
// the generator puts one on each side of every inter-layer FIFO, which cuts the ready chain
// (next layer -> FIFO read, width converter -> previous layer's credit counter) into short paths.
// One word per cycle while the consumer takes one; when the consumer stalls, the word in flight is
// held in the skid register and s_axis_tready falls a cycle later. One cycle from s_axis to m_axis.
//
// A wide word (the accelerator's input: 392 or 512 bits) is held by GROUP_BITS-bit groups, each
// with its own copy of the valid flags and of the load enables: a single copy made m_axis_tready
// drive the enable of every bit, a net of hundreds of flip-flops that missed 150 MHz on ECP5. The
// copies see the same inputs from the same reset, so they always agree; s_axis_tready and
// m_axis_tvalid are group 0's. (Their next-state logic differs in its inputs, so synthesis cannot
// merge them back into one.)
module axis_skid #(
    parameter WIDTH      = 8,    // tdata width in bits
    parameter GROUP_BITS = 64    // bits per copy of the control (the fan-out of each load enable)
) (
    input  wire             clk,
    input  wire             rst,            // synchronous, active high
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam GROUPS = (WIDTH + GROUP_BITS - 1) / GROUP_BITS;
    wire [GROUPS-1:0] ready_g, valid_g;
    assign s_axis_tready = ready_g[0];
    assign m_axis_tvalid = valid_g[0];
    genvar g;
    generate
        for (g = 0; g < GROUPS; g = g + 1) begin : g_group
            localparam LO = g * GROUP_BITS;
            localparam W  = (WIDTH - LO < GROUP_BITS) ? WIDTH - LO : GROUP_BITS;
            reg [W-1:0] main_d, skid_d;   // main: the word offered on m_axis; skid: the one behind it
            reg         main_v, skid_v;
            wire take   = s_axis_tvalid && !skid_v;
            wire m_free = !main_v || m_axis_tready;   // the main register is empty or handed on this cycle
            assign ready_g[g] = !skid_v;
            assign valid_g[g] = main_v;
            assign m_axis_tdata[LO +: W] = main_d;
            always @(posedge clk) begin
                if (m_free) main_d <= skid_v ? skid_d : s_axis_tdata[LO +: W];
                if (take && !m_free) skid_d <= s_axis_tdata[LO +: W];
                if (rst) begin
                    main_v <= 1'b0;
                    skid_v <= 1'b0;
                end else if (m_free) begin
                    main_v <= skid_v || take;
                    skid_v <= 1'b0;
                end else if (take) begin
                    skid_v <= 1'b1;
                end
            end
        end
    endgenerate
endmodule
