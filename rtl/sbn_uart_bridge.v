// sbn_uart_bridge: a UART host link for a streaming accelerator. Bytes received on uart_rx are
// packed, little-endian, into IN_W-bit words on m_axis (to the accelerator's s_axis: IN_BYTES =
// ceil(IN_W/8) bytes per word, the high bits of the last byte ignored); each OUT_W-bit word taken
// from s_axis (the accelerator's m_axis) leaves on uart_tx as OUT_BYTES = ceil(OUT_W/8) bytes,
// little-endian, zero-padded.
//
// Framing: a word is always IN_BYTES bytes, so the host only has to agree with the bridge on
// where a word starts. A UART break (the line low for a whole character) resets the accelerator
// (accel_rst) and this bridge's packing: the next byte is the first byte of a frame. Output bytes
// already queued when the break arrives are dropped, except the one on the line.
// A received byte that finds the input queue full is dropped and sets rx_overrun (held until the
// next break or reset): stop-and-wait hosts (one frame, then its answer) never overrun; a host
// may stream frames back to back while each frame's answer has no more bytes than the frame.
module sbn_uart_bridge #(
    parameter CLKS_PER_BIT  = 25,  // clock cycles per UART bit: clock frequency / baud rate (>= 4)
    parameter IN_W          = 8,   // bits of an input word (the accelerator's s_axis_tdata)
    parameter OUT_W         = 8,   // bits of an output word (the accelerator's m_axis_tdata)
    parameter RX_FIFO_DEPTH = 16   // received bytes queued while the accelerator is not ready (>= 2)
) (
    input  wire             clk,
    input  wire             rst,            // synchronous, active high
    input  wire             uart_rx,        // from the host (idle high)
    output wire             uart_tx,        // to the host (idle high)
    output wire [IN_W-1:0]  m_axis_tdata,   // input words, to the accelerator
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    input  wire [OUT_W-1:0] s_axis_tdata,   // output words, from the accelerator
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output reg              accel_rst,      // reset of the accelerator: rst or a break on uart_rx
    output reg              rx_overrun      // a received byte was dropped since the last break / reset
);
    localparam IN_BYTES  = (IN_W + 7) / 8;
    localparam OUT_BYTES = (OUT_W + 7) / 8;

    wire [7:0] rx_data;
    wire       rx_valid, rx_ready, brk, frame_err, rx_drop;
    sbn_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
        .clk(clk), .rst(rst), .rx(uart_rx),
        .m_axis_tdata(rx_data), .m_axis_tvalid(rx_valid), .m_axis_tready(rx_ready),
        .brk(brk), .frame_err(frame_err), .overrun(rx_drop)
    );
    always @(posedge clk) begin
        accel_rst  <= rst || brk;
        rx_overrun <= (rst || brk) ? 1'b0 : (rx_overrun || rx_drop);
    end

    // Received bytes -> queue -> IN_BYTES bytes per word.
    wire [7:0] q_data;
    wire       q_valid, q_ready;
    axis_fifo #(.WIDTH(8), .DEPTH(RX_FIFO_DEPTH)) u_rx_fifo (
        .clk(clk), .rst(accel_rst),
        .s_axis_tdata(rx_data), .s_axis_tvalid(rx_valid), .s_axis_tready(rx_ready),
        .m_axis_tdata(q_data), .m_axis_tvalid(q_valid), .m_axis_tready(q_ready)
    );
    wire [IN_BYTES*8-1:0] in_word;
    axis_dwc #(.EW(8), .IN_N(1), .OUT_N(IN_BYTES)) u_pack (
        .clk(clk), .rst(accel_rst),
        .s_axis_tdata(q_data), .s_axis_tvalid(q_valid), .s_axis_tready(q_ready),
        .m_axis_tdata(in_word), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
    assign m_axis_tdata = in_word[IN_W-1:0];

    // Output words -> OUT_BYTES bytes each -> transmitter.
    wire [7:0]             tx_data;
    wire                   tx_valid, tx_ready;
    wire [OUT_BYTES*8-1:0] out_word = s_axis_tdata;   // zero-extended
    axis_dwc #(.EW(8), .IN_N(OUT_BYTES), .OUT_N(1)) u_unpack (
        .clk(clk), .rst(accel_rst),
        .s_axis_tdata(out_word), .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready),
        .m_axis_tdata(tx_data), .m_axis_tvalid(tx_valid), .m_axis_tready(tx_ready)
    );
    sbn_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
        .clk(clk), .rst(rst),
        .s_axis_tdata(tx_data), .s_axis_tvalid(tx_valid), .s_axis_tready(tx_ready), .tx(uart_tx)
    );
endmodule
