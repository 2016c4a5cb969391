// axis_skid: a fully registered AXI-Stream slice (skid buffer). m_axis_tvalid/tdata and
// s_axis_tready all come from flip-flops, so no combinational path crosses it in either direction:
// the generator puts one on each side of every inter-layer FIFO, which cuts the ready chain
// (next layer -> FIFO read, width converter -> previous layer's credit counter) into short paths.
// One word per cycle while the consumer takes one; when the consumer stalls, the word in flight is
// held in the skid register and s_axis_tready falls a cycle later. One cycle from s_axis to m_axis.
module axis_skid #(
    parameter WIDTH = 8     // tdata width in bits
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
    reg [WIDTH-1:0] main_d, skid_d;   // main: the word offered on m_axis; skid: the one behind it
    reg             main_v, skid_v;
    wire take   = s_axis_tvalid && s_axis_tready;
    wire m_free = !main_v || m_axis_tready;   // the main register is empty or handed on this cycle
    assign s_axis_tready = !skid_v;
    assign m_axis_tvalid = main_v;
    assign m_axis_tdata  = main_d;
    always @(posedge clk) begin
        if (m_free) main_d <= skid_v ? skid_d : s_axis_tdata;
        if (take && !m_free) skid_d <= s_axis_tdata;
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
endmodule
