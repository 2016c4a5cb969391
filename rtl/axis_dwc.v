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
    if (IN_N == OUT_N) begin : g_pass
        assign m_axis_tdata  = s_axis_tdata;
        assign m_axis_tvalid = s_axis_tvalid;
        assign s_axis_tready = m_axis_tready;
    end else if (OUT_N > IN_N) begin : g_up
        // Gather K input beats; the K-th completes the output word.
        localparam K  = OUT_N / IN_N;
        localparam CW = K > 1 ? $clog2(K) : 1;
        reg [OUT_W-1:0] gather, out_q;
        reg [CW-1:0]    cnt;
        reg             out_valid;
        wire            last = (cnt == K - 1);
        assign s_axis_tready = !(last && out_valid && !m_axis_tready);
        assign m_axis_tvalid = out_valid;
        assign m_axis_tdata  = out_q;
        wire accept = s_axis_tvalid && s_axis_tready;
        integer k;
        always @(posedge clk) begin
            if (rst) begin
                cnt <= 0; out_valid <= 1'b0;
            end else begin
                if (accept) begin
                    cnt <= last ? 0 : cnt + 1'b1;
                    gather[cnt*IN_W +: IN_W] <= s_axis_tdata;
                end
                if (accept && last) begin
                    out_valid <= 1'b1;
                    for (k = 0; k < K - 1; k = k + 1) out_q[k*IN_W +: IN_W] <= gather[k*IN_W +: IN_W];
                    out_q[(K-1)*IN_W +: IN_W] <= s_axis_tdata;
                end else if (m_axis_tready) begin
                    out_valid <= 1'b0;
                end
            end
        end
    end else begin : g_down
        // Hold one input word and emit it as K narrower beats.
        localparam K  = IN_N / OUT_N;
        localparam CW = K > 1 ? $clog2(K) : 1;
        reg [IN_W-1:0] hold;
        reg [CW-1:0]   idx;
        reg            valid;
        wire           out_done = valid && m_axis_tready && (idx == K - 1);
        assign s_axis_tready = !valid || out_done;
        assign m_axis_tvalid = valid;
        assign m_axis_tdata  = hold[idx*OUT_W +: OUT_W];
        always @(posedge clk) begin
            if (rst) begin
                valid <= 1'b0; idx <= 0;
            end else if (s_axis_tvalid && s_axis_tready) begin
                hold <= s_axis_tdata; valid <= 1'b1; idx <= 0;
            end else if (valid && m_axis_tready) begin
                if (idx == K - 1) valid <= 1'b0;
                else idx <= idx + 1'b1;
            end
        end
    end
    endgenerate
endmodule
