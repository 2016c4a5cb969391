// sbn_thresh: streaming multi-threshold unit (the input quantizer of Brevitas bnn_pynq models:
// FINN's MultiThreshold on the network input).
//
// A frame streams PE elements per beat (element j of a beat at bits [j*IN_BITS +: IN_BITS], two's
// complement when IN_SIGNED=1, else unsigned). Element i of a frame belongs to channel i mod C;
// each channel c has NT thresholds T[c][0..NT-1] (two's complement, ascending). Every element x
// becomes
//   y = OUT_BIAS + count_k (x >= T[c][k])
// sent as the low OUT_BITS bits (two's complement when OUT_BIAS < 0, unsigned otherwise), PE per
// beat in the same order. Frames follow each other with no gaps.
//
// Thresholds repeat every C elements and PE divides C (or C == 1: one row shared by every
// element), so beat b of the stream uses threshold word (b mod CH_WORDS), CH_WORDS = C/PE (1 when
// C == 1): a counter over CH_WORDS replaces any frame length. The memory is CH_WORDS words; word
// w holds, for element j (0..PE-1) and threshold k (0..NT-1), T[w*PE + j][k] (T[0][k] when C == 1)
// at bits [(j*NT + k)*TH_BITS +: TH_BITS]; $readmemh image, one hex word per line, most
// significant digit first (sbn_hw.rtlgen.generate.input_threshold_words writes it).
//
// The compare is exact: x and T are sign-extended to max(IN_BITS+1, TH_BITS) bits. The generator
// clamps thresholds into [in_min, in_max + 1] (always / never reached), so TH_BITS is the width of
// that signed range.
//
// Pipeline (stage k = k cycles after the beat was accepted; no stage ever stalls):
//   0          accept: threshold word counter; synchronous read of the threshold memory
//   1          read data (the block RAM read) beside the registered input beat
//   2          both registered again (block RAM's slow clock-to-out gets a cycle of its own)
//   3          PE*NT compare bits registered
//   3..POS     per element, the count of set compare bits (sbn_adder_tree, a register every two
//              levels and at the root: ceil(log2(NT)/2) stages)
//   POS        OUT_BIAS added, the beat written to the output queue (axis_fifo) -> m_axis
// Backpressure never reaches into the pipeline: a beat is accepted only while the output queue has
// a free place reserved for it (a credit count of beats accepted and not yet taken), so
// m_axis_tready only moves the queue and s_axis_tready depends on registers alone (no combinational
// path from m_axis_tready to s_axis_tready). The queue holds POS + 2 or more beats, so a
// free-flowing consumer never slows the unit: one beat per cycle, latency POS + 1 cycles.
//
// Needs rtl/sbn_mvau.v (sbn_mvau_rom: the memory and its RAM_STYLE attributes), with
// rtl/sbn_popcount.v and rtl/sbn_lut6.v that sbn_mvau uses, rtl/sbn_adder_tree.v and rtl/axis_fifo.v.
module sbn_thresh #(
    parameter IN_BITS     = 8,       // bits per input element
    parameter IN_SIGNED   = 0,       // 1: input elements are two's complement; 0: unsigned
    parameter PE          = 1,       // elements per beat (in and out); divides C, or C == 1
    parameter CH_WORDS    = 1,       // threshold words: C / PE, or 1 when C == 1
    parameter NT          = 1,       // thresholds per channel (>= 1)
    parameter TH_BITS     = 10,      // two's complement threshold width
    parameter OUT_BITS    = 1,       // bits per output element
    parameter integer OUT_BIAS = 0,  // added to every count (may be negative: then outputs are two's complement)
    parameter THRESH_FILE = "",      // $readmemh: CH_WORDS words of PE*NT*TH_BITS bits (see above)
    parameter RAM_STYLE   = "auto"   // threshold memory: "auto" | "block" | "distributed" | "logic" (sbn_mvau_rom)
) (
    input  wire                     clk,
    input  wire                     rst,            // synchronous, active high
    input  wire [PE*IN_BITS-1:0]    s_axis_tdata,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    output wire [PE*OUT_BITS-1:0]   m_axis_tdata,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready
);
    localparam WORD_W  = PE * NT * TH_BITS;               // one threshold word
    localparam CMP_W   = (IN_BITS + 1 > TH_BITS) ? IN_BITS + 1 : TH_BITS;
    localparam CNT_W   = $clog2(NT + 1);                  // a count 0..NT
    localparam ADDR_W  = CH_WORDS > 1 ? $clog2(CH_WORDS) : 1;
    localparam LOG_NT  = $clog2(NT);
    localparam TREE_LEVELS = 2;                           // adder tree registered every 2 levels and at its root
    localparam TREE_LAT = LOG_NT == 0 ? 0 : (LOG_NT + TREE_LEVELS - 1) / TREE_LEVELS;  // sbn_adder_tree's LATENCY
    localparam CMP_POS = 3;                               // the compare bits are registered
    localparam POS     = CMP_POS + TREE_LAT;              // the result is written to the output queue
    localparam QD      = 1 << $clog2(POS + 2);            // output queue depth (beats in flight + 2)
    localparam QC_W    = $clog2(QD) + 1;                  // credit counter: 0..QD
    // The output must hold OUT_BIAS .. OUT_BIAS + NT: unsigned when OUT_BIAS >= 0, else two's complement.
    localparam OUT_FITS = (OUT_BITS >= 31) ? 1 :
                          (OUT_BIAS >= 0) ? (OUT_BIAS + NT < (1 << OUT_BITS)) :
                          (OUT_BIAS >= -(1 << (OUT_BITS - 1)) && OUT_BIAS + NT < (1 << (OUT_BITS - 1)));

    // Illegal parameters stop elaboration: instantiating a module that does not exist names the error.
    generate
        if (PE < 1 || CH_WORDS < 1 || NT < 1 || IN_BITS < 1 || OUT_BITS < 1) begin : g_err_sizes
            sbn_thresh_ERROR_PE_CH_WORDS_NT_IN_BITS_OUT_BITS_must_be_at_least_1 u_error ();
        end
        if (TH_BITS < 2) begin : g_err_th_bits
            sbn_thresh_ERROR_TH_BITS_must_be_at_least_2 u_error ();
        end
        if (!OUT_FITS) begin : g_err_out_bits
            sbn_thresh_ERROR_OUT_BITS_cannot_hold_OUT_BIAS_to_OUT_BIAS_plus_NT u_error ();
        end
    endgenerate

    // ---- accept (stage 0) -----------------------------------------------------------------------
    reg  [ADDR_W-1:0] waddr;                              // threshold word of the beat on s_axis
    reg  [QC_W-1:0]   pending;                            // beats accepted and not yet taken from the queue
    wire              q_pop;
    wire              room  = (pending != QD);            // a queue place is free for one more beat
    // Not gated by rst (see axis_dwc.v): the reset branch overrides a word taken during reset.
    assign s_axis_tready = room;
    wire              issue = s_axis_tvalid && s_axis_tready;
    always @(posedge clk) begin
        if (rst) begin
            waddr <= 0; pending <= 0;
        end else begin
            if (issue) waddr <= (waddr == CH_WORDS - 1) ? {ADDR_W{1'b0}} : waddr + 1'b1;
            pending <= pending + {{QC_W-1{1'b0}}, issue} - {{QC_W-1{1'b0}}, q_pop};
        end
    end
    reg [POS:1] p_valid;                                  // p_valid[k]: a beat is at stage k
    always @(posedge clk) begin
        if (rst) p_valid <= {POS{1'b0}};
        else     p_valid <= {p_valid[POS-1:1], issue};
    end

    // ---- stages 1, 2: the memory read and the input beat, registered twice ----------------------
    wire [WORD_W-1:0]     th_read;
    reg  [WORD_W-1:0]     th_q;
    reg  [PE*IN_BITS-1:0] x_1, x_2;
    sbn_mvau_rom #(.DEPTH(CH_WORDS), .WIDTH(WORD_W), .ADDR_W(ADDR_W), .FILE(THRESH_FILE), .STYLE(RAM_STYLE))
        u_tmem (.clk(clk), .en(1'b1), .addr(waddr), .data(th_read));
    always @(posedge clk) begin
        x_1  <= s_axis_tdata;
        x_2  <= x_1;
        th_q <= th_read;
    end

`ifdef SBN_FAST_SIM
    // ---- stages 3..POS, simulation model (SBN_FAST_SIM, see rtl/sbn_popcount.v) -----------------
    // The same counts at the same stages, computed only for a valid beat (an input threshold layer
    // is idle most cycles) and delayed through TREE_LAT registers instead of the adder tree.
    reg  [PE*CNT_W-1:0]     cnt_q [0:TREE_LAT];           // cnt_q[d]: the counts at stage 3 + d
    reg  [CNT_W-1:0]        c;
    reg  signed [CMP_W-1:0] x_cmp, t_cmp;
    integer j, k, d;
    always @(posedge clk) begin
        if (p_valid[2]) begin
            for (j = 0; j < PE; j = j + 1) begin
                x_cmp = $signed({IN_SIGNED != 0 && x_2[j*IN_BITS+IN_BITS-1], x_2[j*IN_BITS +: IN_BITS]});
                c = {CNT_W{1'b0}};
                for (k = 0; k < NT; k = k + 1) begin
                    t_cmp = $signed(th_q[(j*NT+k)*TH_BITS +: TH_BITS]);
                    c = c + {{CNT_W-1{1'b0}}, x_cmp >= t_cmp};
                end
                cnt_q[0][j*CNT_W +: CNT_W] <= c;
            end
        end
        for (d = 1; d <= TREE_LAT; d = d + 1) cnt_q[d] <= cnt_q[d-1];
    end
    wire [PE*OUT_BITS-1:0] result;
    genvar gj;
    generate
        for (gj = 0; gj < PE; gj = gj + 1) begin : g_pe
            wire [31:0] biased = OUT_BIAS + cnt_q[TREE_LAT][gj*CNT_W +: CNT_W];
            assign result[gj*OUT_BITS +: OUT_BITS] = biased[OUT_BITS-1:0];
        end
    endgenerate
`else
    // ---- stage 3: compare every element with its NT thresholds ----------------------------------
    reg  [PE*NT-1:0]        ge, ge_q;
    reg  signed [CMP_W-1:0] x_cmp, t_cmp;
    integer j, k;
    always @* begin
        for (j = 0; j < PE; j = j + 1) begin
            // Widen by one bit (a zero, or the sign when IN_SIGNED), then sign-extend to CMP_W.
            x_cmp = $signed({IN_SIGNED != 0 && x_2[j*IN_BITS+IN_BITS-1], x_2[j*IN_BITS +: IN_BITS]});
            for (k = 0; k < NT; k = k + 1) begin
                t_cmp = $signed(th_q[(j*NT+k)*TH_BITS +: TH_BITS]);
                ge[j*NT+k] = (x_cmp >= t_cmp);
            end
        end
    end
    always @(posedge clk) ge_q <= ge;

    // ---- stages 3..POS: count the set bits, add the bias ----------------------------------------
    wire [PE*OUT_BITS-1:0] result;
    genvar gj;
    generate
        for (gj = 0; gj < PE; gj = gj + 1) begin : g_pe
            wire [CNT_W-1:0] count;
            wire [31:0]      biased = OUT_BIAS + count;   // modulo 2^32: the low OUT_BITS bits are exact
            sbn_adder_tree #(.N(NT), .IN_W(1), .OUT_W(CNT_W), .SIGNED(0), .STAGE_LEVELS(TREE_LEVELS)) u_count (
                .clk(clk), .in_data(ge_q[gj*NT +: NT]), .sum(count));
            assign result[gj*OUT_BITS +: OUT_BITS] = biased[OUT_BITS-1:0];
        end
    endgenerate

`endif

    // ---- output queue: the skid buffer between the pipeline and m_axis --------------------------
    // Its s_axis_tready is always high while the credit count holds (a beat is accepted only with
    // a free place reserved), so it is not consulted.
    wire q_ready_unused;
    assign q_pop = m_axis_tvalid && m_axis_tready;
    axis_fifo #(.WIDTH(PE * OUT_BITS), .DEPTH(QD)) u_queue (
        .clk(clk), .rst(rst),
        .s_axis_tdata(result), .s_axis_tvalid(p_valid[POS]), .s_axis_tready(q_ready_unused),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
endmodule
