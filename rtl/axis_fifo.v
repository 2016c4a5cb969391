// axis_fifo: synchronous AXI-Stream FIFO (first word falls through), distributed-RAM storage.
module axis_fifo #(
    parameter WIDTH = 8,    // tdata width in bits
    parameter DEPTH = 16    // number of words held (>= 2)
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
    localparam AW = $clog2(DEPTH);
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0]    wp, rp;
    reg [AW:0]      count;
    wire push = s_axis_tvalid && s_axis_tready;
    wire pop  = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = !rst && (count != DEPTH);
    assign m_axis_tvalid = (count != 0);
    assign m_axis_tdata  = mem[rp];
    always @(posedge clk) begin
        if (push) mem[wp] <= s_axis_tdata;
    end
    always @(posedge clk) begin
        if (rst) begin
            wp <= 0; rp <= 0; count <= 0;
        end else begin
            if (push) wp <= (wp == DEPTH - 1) ? 0 : wp + 1'b1;
            if (pop)  rp <= (rp == DEPTH - 1) ? 0 : rp + 1'b1;
            count <= count + {{AW{1'b0}}, push} - {{AW{1'b0}}, pop};
        end
    end
endmodule
