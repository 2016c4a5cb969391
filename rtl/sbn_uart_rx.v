// sbn_uart_rx: UART receiver (8 data bits, no parity, 1 stop bit, LSB first) to an AXI-Stream of
// bytes. The line is synchronised by two flip-flops, a start bit is confirmed at its middle and
// every bit is sampled at its middle, so the baud rate may differ from CLKS_PER_BIT by a few
// percent. One received byte is held until taken; a byte that completes while the previous one
// is still held is dropped and reported by an `overrun` pulse.
// A break (the line held low for a whole character: all-zero data and a low stop bit) gives a
// `brk` pulse instead of a byte and drops a byte still held (it belongs to the data before the
// break, which the bridge discards); any other low stop bit drops the byte with a `frame_err` pulse.
// After either, reception resumes once the line has returned high.
module sbn_uart_rx #(
    parameter CLKS_PER_BIT = 25   // clock cycles per bit: clock frequency / baud rate (>= 4)
) (
    input  wire       clk,
    input  wire       rst,            // synchronous, active high
    input  wire       rx,             // serial line, idle high (asynchronous to clk)
    output reg  [7:0] m_axis_tdata,
    output reg        m_axis_tvalid,
    input  wire       m_axis_tready,
    output reg        brk,            // one-cycle pulse: a break was received
    output reg        frame_err,      // one-cycle pulse: a character with a low stop bit was dropped
    output reg        overrun         // one-cycle pulse: a byte was dropped (the previous one was held)
);
    localparam CW = $clog2(CLKS_PER_BIT) + 1;
    // The synchroniser and the idle state see the start bit's edge two cycles late; the count to
    // the middle of the start bit makes up for it.
    localparam START_WAIT = CLKS_PER_BIT / 2 > 2 ? CLKS_PER_BIT / 2 - 2 : 0;
    localparam S_IDLE = 2'd0, S_START = 2'd1, S_DATA = 2'd2, S_STOP = 2'd3;
    (* async_reg = "true" *) reg [1:0] sync = 2'b11;
    wire line = sync[1];
    reg [1:0]    state;
    reg [CW-1:0] cnt;       // clocks until the next sample
    reg [2:0]    nbit;      // data bit being received
    reg [7:0]    shift;
    reg          wait_high; // after a break or framing error: wait for the idle line
    always @(posedge clk) sync <= {sync[0], rx};

    always @(posedge clk) begin
        brk <= 1'b0; frame_err <= 1'b0; overrun <= 1'b0;
        if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 1'b0;
        if (rst) begin
            state <= S_IDLE; m_axis_tvalid <= 1'b0; wait_high <= 1'b0; cnt <= 0; nbit <= 0;
        end else begin
            case (state)
                S_IDLE: begin
                    if (wait_high) begin
                        if (line) wait_high <= 1'b0;
                    end else if (!line) begin
                        state <= S_START;
                        cnt   <= START_WAIT;             // to the middle of the start bit
                    end
                end
                S_START: begin
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else if (line) state <= S_IDLE;     // a glitch, not a start bit
                    else begin
                        state <= S_DATA; cnt <= CLKS_PER_BIT - 1; nbit <= 0;
                    end
                end
                S_DATA: begin
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else begin
                        shift <= {line, shift[7:1]};
                        cnt   <= CLKS_PER_BIT - 1;
                        nbit  <= nbit + 1'b1;
                        if (nbit == 3'd7) state <= S_STOP;
                    end
                end
                S_STOP: begin
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else begin
                        state <= S_IDLE;
                        if (line) begin
                            if (m_axis_tvalid && !m_axis_tready) overrun <= 1'b1;
                            else begin
                                m_axis_tdata  <= shift;
                                m_axis_tvalid <= 1'b1;
                            end
                        end else begin
                            wait_high <= 1'b1;
                            if (shift == 8'd0) begin
                                brk <= 1'b1;
                                m_axis_tvalid <= 1'b0;
                            end else frame_err <= 1'b1;
                        end
                    end
                end
            endcase
        end
    end
endmodule
