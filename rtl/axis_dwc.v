// axis_dwc: AXI-Stream width converter between IN_N and OUT_N elements of EW bits per beat,
// keeping element order (element j of a beat at bits [j*EW +: EW]). One of IN_N, OUT_N must
// divide the other. Full throughput: one input or output beat per cycle, whichever is wider waits.
// s_axis_tready is not gated by rst (the reset net would sit in the ready path, which was
// critical on ECP5): a word offered during reset is dropped on both sides, since every stage of the
// accelerator shares the reset, and the accelerator's top gates its own input port by rst.
module axis_dwc #(
    parameter EW    = 1,    // bits per element
    parameter IN_N  = 4,    // elements per input beat
    parameter OUT_N = 8     // elements per output beat
) (
    input  wire               clk,
    input  wire               rst,          // synchronous, active high
    input  wire [IN_N*EW-1:0] s_axis_tdata,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    output wire [OUT_N*EW-1:0] m_axis_tdata,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready
);
    localparam IN_W  = IN_N * EW;
    localparam OUT_W = OUT_N * EW;
    generate
    if ((OUT_N > IN_N && OUT_N % IN_N != 0) || (IN_N > OUT_N && IN_N % OUT_N != 0)) begin : g_bad_ratio
        // Not a whole ratio: instantiating a module that does not exist stops elaboration here.
        axis_dwc_IN_N_and_OUT_N_must_divide_one_another u_error ();
    end else if (IN_N == OUT_N) begin : g_pass
        assign m_axis_tdata  = s_axis_tdata;
        assign m_axis_tvalid = s_axis_tvalid;
        assign s_axis_tready = m_axis_tready;
    end else if (OUT_N > IN_N) begin : g_up
        // Gather K input beats; the K-th completes the output word. The beat's place in the word is
        // a one-hot register (slot), so "last beat" is a flip-flop and every load enable is one LUT
        // of flip-flops and the two handshake inputs (a counter compare before the output word's
        // enable was the critical path on ECP5). Data registers load without a reset term.
        localparam K = OUT_N / IN_N;
        reg [OUT_W-1:0] out_q;
        reg [(K-1)*IN_W-1:0] gather;   // beats 0 .. K-2 of the word being gathered
        reg [K-1:0]     slot;          // one-hot: the next input beat's place in the word
        reg             out_valid;
        wire            last = slot[K-1];
        assign s_axis_tready = !(last && out_valid && !m_axis_tready);
        assign m_axis_tvalid = out_valid;
        assign m_axis_tdata  = out_q;
        wire accept = s_axis_tvalid && s_axis_tready;
        integer k;
        always @(posedge clk) begin
            for (k = 0; k < K - 1; k = k + 1)
                if (accept && slot[k]) gather[k*IN_W +: IN_W] <= s_axis_tdata;
            if (accept && last) out_q <= {s_axis_tdata, gather};
            if (rst) begin
                slot <= {{(K-1){1'b0}}, 1'b1}; out_valid <= 1'b0;
            end else begin
                if (accept) slot <= {slot[K-2:0], slot[K-1]};
                if (accept && last) out_valid <= 1'b1;
                else if (m_axis_tready) out_valid <= 1'b0;
            end
        end
    end else begin : g_down
        // Hold one input word and emit it as K narrower beats; at_last (a flip-flop: idx == K - 1)
        // keeps the counter compare out of the ready path.
        localparam K  = IN_N / OUT_N;
        localparam CW = K > 1 ? $clog2(K) : 1;
        reg [IN_W-1:0] hold;
        reg [CW-1:0]   idx;
        reg            at_last;
        reg            valid;
        wire           out_done = valid && m_axis_tready && at_last;
        wire           take = s_axis_tvalid && s_axis_tready;
        assign s_axis_tready = !valid || out_done;
        assign m_axis_tvalid = valid;
        assign m_axis_tdata  = hold[idx*OUT_W +: OUT_W];
        always @(posedge clk) begin
            if (take) hold <= s_axis_tdata;
            if (rst) begin
                valid <= 1'b0; idx <= 0; at_last <= (K == 1);
            end else if (take) begin
                valid <= 1'b1; idx <= 0; at_last <= (K == 1);
            end else if (valid && m_axis_tready) begin
                if (at_last) valid <= 1'b0;
                else begin
                    idx <= idx + 1'b1;
                    at_last <= (idx == K - 2);
                end
            end
        end
    end
    endgenerate
endmodule
