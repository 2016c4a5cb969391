// sbn_swu: sliding-window unit (FINN's ConvolutionInputGenerator, "valid" convolution, no padding).
//
// Input, one frame after another with no gap or reset between them: an IFM_H x IFM_W image of C
// channels of EW bits, pixels in row-major order, each pixel as CF = C/SIMD words of SIMD elements
// (element j of a word at bits [j*EW +: EW] is channel chunk*SIMD + j).
// Output: the im2col stream of FINN's LowerConvsToMatMul + ConvolutionInputGenerator. With
// OH = (IFM_H-K)/STRIDE + 1 and OW = (IFM_W-K)/STRIDE + 1, for each output pixel (oy, ox) in
// row-major order, for ky, for kx (0..K-1), for each chunk: the word of input pixel
// (oy*STRIDE+ky, ox*STRIDE+kx), chunk `chunk`. A matrix-vector unit with MW = K*K*C thus receives
// each output pixel's vector as K*K*CF words, element index (ky*K + kx)*C + c.
//
// Buffer: one circular buffer of BUF_DEPTH words (a reg array written by s_axis, read by one
// synchronous port: block or distributed RAM), addressed by the input word's index in the stream
// modulo BUF_DEPTH. AHEAD counts the words written beyond the first word of the current output
// pixel's window (its top-left word, the oldest one still needed). A word is accepted while
// AHEAD < BUF_DEPTH (it cannot overwrite a word still needed); a pixel is read out once its whole
// window is in (AHEAD >= SPAN, SPAN = ((K-1)*IFM_W + K)*CF words from top-left to bottom-right);
// when its last word is issued the window moves on by the distance to the next pixel's top-left
// (STRIDE*CF along a row, DR to the next row, DF into the next frame) and AHEAD drops by as much.
// The input side knows nothing of frames: the next frame's words flow in as soon as the current
// frame's last windows release space. Words of rows/columns no window uses (STRIDE > K, or
// (IFM-K) % STRIDE != 0) are written and simply overwritten.
//
// BUF_DEPTH (DEPTH=0, the default) = SPAN + max(K*K*CF, DP, DR, DF - BOUND/32), DP/DR/DF the
// three moves above (0 where they never happen), BOUND = max(input, output) words per frame:
//   - K*K*CF: the input keeps flowing while a whole window is read out (input-bound layers);
//   - DP, DR: the next window's new words fit while the current one is read (output-bound layers,
//     no bubble at a row change);
//   - DF - BOUND/32: at a frame change the output waits at most BOUND/32 cycles for the next
//     frame's first window (about (K-1) rows of the next frame are read in during the last output
//     row). For large frames this term is inactive and the buffer is about K-1 rows + K*K pixels;
//     for tiny frames (K = IFM_H = IFM_W) it becomes a double buffer of two frames.
// Any DEPTH >= SPAN also works (DEPTH = SPAN is the smallest correct buffer, with stalls).
//
// Timing: with an always-valid source and an always-ready sink, one output word per cycle
// whenever the current window is complete and one input word per cycle whenever there is space:
// cycles per frame within about 3% of max(input words, output words). Latency: a window's first
// word is on m_axis 2 clock edges after the edge that accepted the window's last input word (RAM
// read, then the output queue). Backpressure stops at the output queue (axis_fifo, 4 words): a word is issued from
// the buffer only while the queue has a place reserved for it (a credit count), so m_axis_tready
// moves only the queue and s_axis_tready depends on registers alone (no combinational path from
// m_axis_tready to s_axis_tready).
module sbn_swu #(
    parameter EW     = 1,   // bits per element (1 for binary activations, up to 8 for a first layer)
    parameter C      = 4,   // channels per pixel
    parameter SIMD   = 4,   // elements per stream word (in and out); must divide C
    parameter IFM_H  = 8,   // input image height (pixels)
    parameter IFM_W  = 8,   // input image width (pixels)
    parameter K      = 3,   // kernel size (K x K); 1 <= K <= IFM_H and K <= IFM_W
    parameter STRIDE = 1,   // window step in both directions (>= 1)
    parameter DEPTH  = 0    // buffer words: 0 picks BUF_DEPTH above; else >= SPAN
) (
    input  wire                 clk,
    input  wire                 rst,            // synchronous, active high
    input  wire [SIMD*EW-1:0]   s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    output wire [SIMD*EW-1:0]   m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready
);
    localparam WORD_W    = SIMD * EW;
    localparam CF        = (SIMD > 0 && C >= SIMD) ? C / SIMD : 1;   // words per pixel
    localparam OH        = (K >= 1 && STRIDE >= 1 && K <= IFM_H) ? (IFM_H - K) / STRIDE + 1 : 1;
    localparam OW        = (K >= 1 && STRIDE >= 1 && K <= IFM_W) ? (IFM_W - K) / STRIDE + 1 : 1;
    localparam RUN       = K * CF;                      // words of one kernel row (kx, chunk)
    localparam PIX_WORDS = K * RUN;                     // words of one window
    localparam ROW_WORDS = IFM_W * CF;                  // words of one input row
    localparam SPAN      = ((K - 1) * IFM_W + K) * CF;  // top-left .. bottom-right of a window
    localparam IN_WORDS  = IFM_H * ROW_WORDS;           // input words per frame
    localparam OUT_WORDS = OH * OW * PIX_WORDS;         // output words per frame
    localparam BOUND     = IN_WORDS > OUT_WORDS ? IN_WORDS : OUT_WORDS;
    // Moves of the window's top-left word: next pixel in the row, first pixel of the next row,
    // first pixel of the next frame (0 where the move never happens).
    localparam DP        = OW > 1 ? STRIDE * CF : 0;
    localparam DR        = OH > 1 ? (STRIDE * IFM_W - (OW - 1) * STRIDE) * CF : 0;
    localparam DF        = IN_WORDS - ((OH - 1) * STRIDE * IFM_W + (OW - 1) * STRIDE) * CF;
    localparam DMAX      = DP > DR ? (DP > DF ? DP : DF) : (DR > DF ? DR : DF);
    localparam M1        = PIX_WORDS > DP ? PIX_WORDS : DP;
    localparam M2        = M1 > DR ? M1 : DR;
    localparam M3        = M2 > DF - BOUND / 32 ? M2 : DF - BOUND / 32;
    localparam BUF_DEPTH = DEPTH == 0 ? SPAN + M3 : DEPTH;
    localparam AW        = BUF_DEPTH > 1 ? $clog2(BUF_DEPTH) : 1;
    localparam AHW       = $clog2(BUF_DEPTH + DMAX + 1) + 1;  // signed: -DMAX .. BUF_DEPTH
    localparam RUN_W     = RUN > 1 ? $clog2(RUN) : 1;
    localparam KY_W      = K > 1 ? $clog2(K) : 1;
    localparam OX_W      = OW > 1 ? $clog2(OW) : 1;
    localparam OY_W      = OH > 1 ? $clog2(OH) : 1;
    localparam QD        = 4;                           // output queue words (RAM read + 2 in flight)
    // Address steps modulo BUF_DEPTH.
    localparam ROW_STEP  = ROW_WORDS % BUF_DEPTH;
    localparam DP_STEP   = DP % BUF_DEPTH;
    localparam DR_STEP   = DR % BUF_DEPTH;
    localparam DF_STEP   = DF % BUF_DEPTH;

    // Illegal parameters stop elaboration: each branch instantiates a module that does not exist,
    // named after the rule broken (Verilog-2005 has no elaboration-time $error).
    generate
        if (EW < 1) begin : g_bad_ew
            sbn_swu_EW_must_be_at_least_1 u_error ();
        end
        if (SIMD < 1 || C < 1 || C % SIMD != 0) begin : g_bad_simd
            sbn_swu_SIMD_must_divide_C u_error ();
        end
        if (K < 1 || K > IFM_H || K > IFM_W) begin : g_bad_k
            sbn_swu_K_must_be_between_1_and_IFM_H_and_IFM_W u_error ();
        end
        if (STRIDE < 1) begin : g_bad_stride
            sbn_swu_STRIDE_must_be_at_least_1 u_error ();
        end
        if (DEPTH != 0 && DEPTH < SPAN) begin : g_bad_depth
            sbn_swu_DEPTH_must_be_0_or_hold_a_window_of_K_minus_1_rows_and_K_pixels u_error ();
        end
    endgenerate

    // ---- the buffer: written by s_axis, one synchronous read port --------------------------------
    reg  [WORD_W-1:0]       mem [0:BUF_DEPTH-1];
    reg  [AW-1:0]           wr_addr;
    reg  signed [AHW-1:0]   ahead;          // words written beyond the current window's top-left
    wire                    accept = s_axis_tvalid && s_axis_tready;
    // Not gated by rst (see axis_dwc.v): the reset branch overrides a word taken during reset.
    assign s_axis_tready = (ahead < BUF_DEPTH);
    always @(posedge clk) begin
        if (accept) mem[wr_addr] <= s_axis_tdata;
    end

    // ---- read side: window counters and addresses ------------------------------------------------
    reg  [AW-1:0]           rd_addr;        // next word to issue
    reg  [AW-1:0]           row_addr;       // first word of the current kernel row
    reg  [AW-1:0]           base_addr;      // the window's top-left word
    reg  [RUN_W-1:0]        run_cnt;        // kx*CF + chunk
    reg  [KY_W-1:0]         ky;
    reg  [OX_W-1:0]         ox;
    reg  [OY_W-1:0]         oy;
    reg  [2:0]              credit;         // words issued and not yet taken from the output queue
    reg  [WORD_W-1:0]       rd_data;
    reg                     rd_valid;
    wire                    pop = m_axis_tvalid && m_axis_tready;
    // Once a window is complete it stays complete until its last word is issued (AHEAD only drops
    // then), so one test serves the window's first and every later word.
    wire                    issue = (ahead >= SPAN) && (credit < QD);
    wire                    last_run = (run_cnt == RUN - 1);
    wire                    last_ky  = (ky == K - 1);
    wire                    last_ox  = (ox == OW - 1);
    wire                    last_oy  = (oy == OH - 1);
    wire                    win_end  = issue && last_run && last_ky;
    wire [AHW-1:0]          move     = last_ox ? (last_oy ? DF : DR) : DP;
    wire [AW:0]             move_sum = base_addr + (last_ox ? (last_oy ? DF_STEP : DR_STEP) : DP_STEP);
    wire [AW-1:0]           base_nxt = (move_sum >= BUF_DEPTH) ? move_sum - BUF_DEPTH : move_sum;
    wire [AW:0]             row_sum  = row_addr + ROW_STEP;
    wire [AW-1:0]           row_nxt  = (row_sum >= BUF_DEPTH) ? row_sum - BUF_DEPTH : row_sum;

    always @(posedge clk) begin
        if (issue) rd_data <= mem[rd_addr];
    end

    always @(posedge clk) begin
        if (rst) begin
            wr_addr <= 0; ahead <= 0;
            rd_addr <= 0; row_addr <= 0; base_addr <= 0;
            run_cnt <= 0; ky <= 0; ox <= 0; oy <= 0;
            credit <= 0; rd_valid <= 1'b0;
        end else begin
            if (accept) wr_addr <= (wr_addr == BUF_DEPTH - 1) ? 0 : wr_addr + 1'b1;
            ahead    <= ahead + {{(AHW-1){1'b0}}, accept} - (win_end ? move : {AHW{1'b0}});
            credit   <= credit + {2'b0, issue} - {2'b0, pop};
            rd_valid <= issue;
            if (issue) begin
                if (!last_run) begin
                    run_cnt <= run_cnt + 1'b1;
                    rd_addr <= (rd_addr == BUF_DEPTH - 1) ? 0 : rd_addr + 1'b1;
                end else if (!last_ky) begin
                    run_cnt <= 0;
                    ky <= ky + 1'b1;
                    row_addr <= row_nxt;
                    rd_addr <= row_nxt;
                end else begin
                    run_cnt <= 0;
                    ky <= 0;
                    base_addr <= base_nxt;
                    row_addr <= base_nxt;
                    rd_addr <= base_nxt;
                    ox <= last_ox ? 0 : ox + 1'b1;
                    if (last_ox) oy <= last_oy ? 0 : oy + 1'b1;
                end
            end
        end
    end

    // ---- output queue: the skid buffer between the RAM read and m_axis ---------------------------
    wire q_ready_unused;
    axis_fifo #(.WIDTH(WORD_W), .DEPTH(QD)) u_queue (
        .clk(clk), .rst(rst),
        .s_axis_tdata(rd_data), .s_axis_tvalid(rd_valid), .s_axis_tready(q_ready_unused),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
endmodule
