// sbn_uart_tx: AXI-Stream of bytes to a UART line (8 data bits, no parity, 1 stop bit, LSB first).
// A byte is taken whenever the transmitter is idle (s_axis_tready is a register) and sent as
// 10 bits of CLKS_PER_BIT clock cycles each (the stop bit one cycle longer); back-to-back bytes
// leave with no other idle time between them.
module sbn_uart_tx #(
    parameter CLKS_PER_BIT = 25   // clock cycles per bit: clock frequency / baud rate (>= 2)
) (
    input  wire       clk,
    input  wire       rst,            // synchronous, active high (the line goes idle at once)
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output reg        tx              // serial line, idle high
);
    localparam CW = $clog2(CLKS_PER_BIT) + 1;
    reg [8:0]    shift;   // data bits then the stop bit, sent LSB first after the start bit
    reg [3:0]    left;    // bits still to send after the current one (0 and cnt == 0: idle next)
    reg [CW-1:0] cnt;
    reg          busy;
    assign s_axis_tready = !busy && !rst;
    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0; tx <= 1'b1; cnt <= 0; left <= 0;
        end else if (!busy) begin
            tx <= 1'b1;
            if (s_axis_tvalid) begin
                busy  <= 1'b1;
                tx    <= 1'b0;                     // start bit
                shift <= {1'b1, s_axis_tdata};
                left  <= 4'd9;
                cnt   <= CLKS_PER_BIT - 1;
            end
        end else if (cnt != 0) begin
            cnt <= cnt - 1'b1;
        end else if (left != 0) begin
            tx    <= shift[0];
            shift <= {1'b1, shift[8:1]};
            left  <= left - 1'b1;
            cnt   <= CLKS_PER_BIT - 1;
        end else begin
            busy <= 1'b0;                          // the stop bit has lasted a whole bit time
        end
    end
endmodule
