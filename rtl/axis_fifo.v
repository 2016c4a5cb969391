// axis_fifo: synchronous AXI-Stream FIFO.
//   OUT_REG=0: first word falls through: the oldest word is read combinationally from the memory
//              (LUT RAM), one cycle from s_axis to m_axis.
//   OUT_REG=1: the memory is read synchronously into a read register, which moves into an output
//              register: m_axis_tdata comes from flip-flops and a block RAM read (ECP5 EBR: about
//              5.8 ns clock-to-out, Yosys builds it without its output register) drives nothing
//              but that register. Three cycles from s_axis to m_axis; one word per cycle with
//              DEPTH >= 4 (a word holds its place for three cycles: DEPTH 2 gives half the rate).
module axis_fifo #(
    parameter WIDTH   = 8,    // tdata width in bits
    parameter DEPTH   = 16,   // number of words held (>= 2; >= 4 for full rate with OUT_REG=1), registers included
    parameter OUT_REG = 0,    // 0: first word falls through; 1: registered read and output (see above)
    parameter RAM_STYLE = "auto"  // "auto": the synthesis tool chooses; "distributed": LUT RAM (a small
                                  // FIFO: a block RAM's slow read is not worth its bits)
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
    reg [AW-1:0]    wp, rp;
    reg [AW:0]      count;      // words held (OUT_REG=1: the read and output registers included)
    wire [WIDTH-1:0] mem_rp;    // the word at rp (read asynchronously; registered below with OUT_REG=1)
    wire push = s_axis_tvalid && s_axis_tready;
    // Not gated by rst (see axis_dwc.v): a push during reset is overridden by the reset branch below.
    assign s_axis_tready = (count != DEPTH);
    generate if (RAM_STYLE == "distributed") begin : g_lutram
        (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
        always @(posedge clk) if (push) mem[wp] <= s_axis_tdata;
        assign mem_rp = mem[rp];
    end else begin : g_auto
        reg [WIDTH-1:0] mem [0:DEPTH-1];
        always @(posedge clk) if (push) mem[wp] <= s_axis_tdata;
        assign mem_rp = mem[rp];
    end endgenerate
    generate if (OUT_REG == 0) begin : g_fall_through
        wire pop = m_axis_tvalid && m_axis_tready;
        assign m_axis_tvalid = (count != 0);
        assign m_axis_tdata  = mem_rp;
        always @(posedge clk) begin
            if (rst) begin
                wp <= 0; rp <= 0; count <= 0;
            end else begin
                if (push) wp <= (wp == DEPTH - 1) ? 0 : wp + 1'b1;
                if (pop)  rp <= (rp == DEPTH - 1) ? 0 : rp + 1'b1;
                count <= count + {{AW{1'b0}}, push} - {{AW{1'b0}}, pop};
            end
        end
    end else begin : g_out_reg
        reg [AW:0]      unread;     // words in the memory not yet read out
        reg [WIDTH-1:0] rd_data, out_data;
        reg             rd_valid, out_valid;
        wire pop     = out_valid && m_axis_tready;
        wire advance = rd_valid && (!out_valid || m_axis_tready);   // read register -> output register
        wire rd_en   = (unread != 0) && (!rd_valid || advance);      // memory -> read register
        assign m_axis_tvalid = out_valid;
        assign m_axis_tdata  = out_data;
        // rp != wp whenever a word is read and another written (unread is between 1 and DEPTH - 1,
        // or the FIFO is full and takes nothing), so no read meets a write of the same address.
        always @(posedge clk) if (rd_en) rd_data <= mem_rp;
        always @(posedge clk) if (advance) out_data <= rd_data;
        always @(posedge clk) begin
            if (rst) begin
                wp <= 0; rp <= 0; count <= 0; unread <= 0; rd_valid <= 1'b0; out_valid <= 1'b0;
            end else begin
                if (push)  wp <= (wp == DEPTH - 1) ? 0 : wp + 1'b1;
                if (rd_en) rp <= (rp == DEPTH - 1) ? 0 : rp + 1'b1;
                count     <= count + {{AW{1'b0}}, push} - {{AW{1'b0}}, pop};
                unread    <= unread + {{AW{1'b0}}, push} - {{AW{1'b0}}, rd_en};
                rd_valid  <= rd_en || (rd_valid && !advance);
                out_valid <= advance || (out_valid && !m_axis_tready);
            end
        end
    end endgenerate
endmodule
