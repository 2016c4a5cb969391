// sbn_mvau: folded matrix-vector-threshold unit for binary neural networks.
//
// Computes, for each of MH outputs o, an accumulator over MW inputs (weight bit w, input x):
//   MODE=0 int:     acc_o = sum_i (w_oi ? +x_i : -x_i)           IN_BITS-bit integers x bipolar weights
//   MODE=1 xnor:    acc_o = popcount(XNOR(x, w_o))               bipolar x bipolar (1 = +1)
//   MODE=2 and_act: acc_o = 2*popcount(x AND w_o) - popcount(x)  binary {0,1} x bipolar (Si-BNN)
//   MODE=3 and_w:   acc_o = popcount(x AND w_o)                  bipolar x binary {0,1} (SiMaN; the
//                   per-output constant popcount(w_o) is folded into the thresholds)
// and emits either one bit per output (acc >= T, or acc <= T when the channel's LE flag is set)
// or, with HAS_THRESH=0, the accumulator itself.
//
// Folding: PE outputs and SIMD inputs per cycle, so one vector takes (MW/SIMD)*(MH/PE) cycles.
// The input vector arrives as MW/SIMD beats of SIMD elements (element j at bits [j*IN_BITS +: IN_BITS])
// and is kept in a buffer for the MH/PE output rows; outputs leave as MH/PE beats of PE elements.
//
// Pipeline (stage k = k cycles after the beat was issued; no stage ever stalls):
//   0            issue: counters; the stream's beat written to the input buffer (with READ_REG >= 1,
//                registered here and written at stage 1: BUF_LAT)
//   1+BUF_LAT    the read addresses registered: every row, the first included, reads its input
//                from the buffer a cycle after it was written, so no stream/buffer select (SIMD
//                LUTs) stands in front of the arithmetic
//   2+BUF_LAT    read data of the synchronous reads of the weight memory and the input buffer
//   +READ_REG    read data registered again, READ_REG times: block RAM's slow clock-to-out gets a
//                cycle of its own (the threshold read likewise); with READ_REG=2 the first of these
//                registers drives only the second, so placement can put it beside the block RAM
//                (ECP5: the EBR's 5.8 ns clock-to-out leaves under 1 ns of routing at 150 MHz)
//   +1           (PROD_REG=1, MODE=0, INT_DSP=0) the integer products w ? x : -x registered (the
//                negation is a carry chain of its own); with INT_SHARED=1 the groups' shared sums
//                instead, in two registered steps (x0 +- x1, then +- x2: SUM_LAT; the weight codes
//                are read two cycles later to meet them)
//   +1           (INT_SHARED=1 with PROD_REG=1) each PE's selected group sums registered
//   ..ACC_POS    adder tree (MODE=0: sbn_adder_tree, registered every TREE_LEVELS levels and at its
//                root; MODE=0 with INT_DSP=1: sbn_dsp_dot's DSP chains, their M and P registers,
//                then its tree over the chains; bit modes: sbn_popcount, its triples' counts and
//                18-lane group sums registered, then its tree)
//   ACC_POS      accumulate (and, with CMP_REG=0, compare)
//   CMP_POS      (CMP_REG=1) the accumulated sum registered, compared with the threshold
//   then         the output queue (axis_fifo, QD words) -> m_axis
// Backpressure never reaches into the pipeline: a row is issued only while the output queue has a
// free place reserved for its result (a credit count of results issued and not yet taken), so
// m_axis_tready only moves the queue, and s_axis_tready depends on registers alone (no
// combinational path from m_axis_tready to s_axis_tready: the queue is the skid buffer).
// A result taken from the queue returns its credit a cycle later (the pop is registered: the
// consumer's ready, often a register slice placed far away, then ends in one flip-flop rather
// than in the credit counter and the ready logic). The queue holds QD >= CMP_POS + 3 results,
// enough that a free-flowing consumer never slows the unit: latency grows with the pipeline,
// cycles per vector stay (MW/SIMD)*(MH/PE).
// Weights and thresholds are initialised read-only memories (sbn_mvau_rom below);
// WEIGHT_RAM_STYLE / THRESH_RAM_STYLE pick how each is built (block RAM, LUTs, logic).
module sbn_mvau #(
    parameter MW          = 64,   // inputs per vector
    parameter MH          = 64,   // outputs per vector
    parameter PE          = 1,    // outputs computed in parallel; must divide MH
    parameter SIMD        = 1,    // inputs consumed per cycle; must divide MW
    parameter MODE        = 1,    // 0 int, 1 xnor, 2 and_act, 3 and_w (see above)
    parameter IN_BITS     = 1,    // bits per input element (1 unless MODE=0)
    parameter IN_SIGNED   = 0,    // integer inputs are two's complement (MODE=0 only)
    parameter ACC_BITS    = 7,    // accumulator width: unsigned for MODE 1/3, two's complement for 0/2
    parameter HAS_THRESH  = 1,    // 1: one output bit per channel; 0: output the accumulators
    parameter TH_BITS     = 9,    // two's complement threshold width
    parameter WEIGHT_FILE = "",   // $readmemh: (MH/PE)*(MW/SIMD) words of PE*SIMD bits (INT_SHARED: PE*3*ceil(SIMD/3)) (required)
    parameter THRESH_FILE = "",   // $readmemh: MH/PE words of PE*(TH_BITS+1) bits {le, T} (if HAS_THRESH)
    parameter WEIGHT_RAM_STYLE = "auto",  // weight memory: "auto" | "block" | "distributed" | "logic" (sbn_mvau_rom)
    parameter THRESH_RAM_STYLE = "auto",  // threshold memory: the same choices
    parameter READ_REG    = 1,    // registers after the memory reads before the arithmetic: 0, 1, or 2 (block RAM)
    parameter PROD_REG    = 1,    // 1: register the integer products before the adder tree (MODE=0, INT_DSP=0 only)
    parameter INT_DSP     = 0,    // MODE=0 only: 1 sums the products in DSP48 chains (sbn_dsp_dot), 0 in LUTs
    parameter INT_SHARED  = 0,    // MODE=0, INT_DSP=0, HAS_THRESH=1 only: 1 sums the lanes in groups of three
                                  // through partial sums shared by every PE (see "Shared sums" below);
                                  // the weight words then hold codes and the thresholds are shifted
    parameter DSP_CHAIN   = 8,    // INT_DSP=1: multiplier pairs per post-adder chain (sbn_dsp_dot's CHAIN)
    parameter TREE_LEVELS = 2,    // adder tree registered every TREE_LEVELS levels and at its root; 0: combinational
    parameter CMP_REG     = 1     // 1: compare with the threshold in a stage of its own; 0: in the accumulate stage
) (
    input  wire                                          clk,
    input  wire                                          rst,            // synchronous, active high
    input  wire [SIMD*IN_BITS-1:0]                       s_axis_tdata,
    input  wire                                          s_axis_tvalid,
    output wire                                          s_axis_tready,
    output wire [PE*(HAS_THRESH ? 1 : ACC_BITS)-1:0]     m_axis_tdata,
    output wire                                          m_axis_tvalid,
    input  wire                                          m_axis_tready
);
    localparam SF       = MW / SIMD;                     // input beats per vector
    localparam NF       = MH / PE;                       // output beats per vector
    localparam OUT_BITS = HAS_THRESH ? 1 : ACC_BITS;
    localparam ACC_W    = ACC_BITS + 1;                  // internal signed accumulator
    localparam CMP_W    = (ACC_W > TH_BITS ? ACC_W : TH_BITS) + 1;
    localparam TE_BITS  = TH_BITS + 1;                   // threshold entry: {le, T}
    localparam SF_W     = SF > 1 ? $clog2(SF) : 1;
    localparam NF_W     = NF > 1 ? $clog2(NF) : 1;
    localparam WA_W     = SF * NF > 1 ? $clog2(SF * NF) : 1;
    localparam LOG_SIMD = $clog2(SIMD);
    localparam SH_G     = (SIMD + 2) / 3;                // INT_SHARED: groups of three lanes (the last padded with x = 0)
    localparam LOG_SH_G = $clog2(SH_G);
    localparam SH_W     = IN_BITS + 2;                   // INT_SHARED: a group's signed sum x0 +- x1 +- x2
    localparam W_PE     = INT_SHARED ? 3 * SH_G : SIMD;  // weight bits per PE per beat
    // Pipeline positions (cycles after issue). TREE_LAT: MODE=0, sbn_adder_tree's LATENCY; bit
    // modes, sbn_popcount's (registers after its triples' counts and its 18-lane group sums, then its tree).
    // INT_DSP: sbn_dsp_dot's LATENCY (its chains, then a tree over them).
    localparam LOG_GROUPS = $clog2((SIMD + 17) / 18);
    localparam DSP_PAIRS  = (SIMD + 1) / 2;
    localparam DSP_CL     = DSP_CHAIN < DSP_PAIRS ? DSP_CHAIN : DSP_PAIRS;
    localparam LOG_CHAINS = $clog2((DSP_PAIRS + DSP_CL - 1) / DSP_CL);
    localparam DSP_LAT    = DSP_CL + 1 + ((TREE_LEVELS == 0 || LOG_CHAINS == 0) ? 0 : (LOG_CHAINS + TREE_LEVELS - 1) / TREE_LEVELS);
    localparam LOG_LEAVES = INT_SHARED ? LOG_SH_G : LOG_SIMD;   // MODE=0 LUT trees: leaves are lanes or groups
    localparam TREE_LAT = MODE == 0
        ? (INT_DSP ? DSP_LAT : (TREE_LEVELS == 0 || LOG_LEAVES == 0) ? 0 : (LOG_LEAVES + TREE_LEVELS - 1) / TREE_LEVELS)
        : ((TREE_LEVELS == 0) ? 0 : 2 + (LOG_GROUPS + TREE_LEVELS - 1) / TREE_LEVELS);
    localparam PROD_LAT = (MODE == 0 && PROD_REG && !INT_DSP) ? 1 : 0;
    localparam LEAF_LAT = (INT_SHARED && PROD_LAT) ? 1 : 0;       // INT_SHARED: the selected sums registered
    localparam SUM_LAT  = (INT_SHARED && PROD_LAT) ? 1 : 0;       // INT_SHARED: the group sums in two steps
    localparam BUF_LAT  = READ_REG ? 1 : 0;               // the stream's beat written to the buffer a cycle late
    localparam ACC_POS  = 2 + BUF_LAT + READ_REG + PROD_LAT + SUM_LAT + LEAF_LAT + TREE_LAT;  // the tree's sum meets the accumulator
    localparam CMP_POS  = ACC_POS + CMP_REG;             // the result is written to the output queue
    localparam QD       = 1 << $clog2(CMP_POS + 3);      // output queue depth (results in flight, the late credit, + 2)
    localparam QC_W     = $clog2(QD) + 1;                // credit counter: 0..QD

    // Input buffer (the first row's input, re-read for the later rows); weights and thresholds are
    // read-only memories initialised from files written by the generator.
    reg [SIMD*IN_BITS-1:0] ibuf [0:SF-1];

    // ---- issue (stage 0) ----------------------------------------------------------------------
    reg  [SF_W-1:0] sf;
    reg  [NF_W-1:0] nf;
    reg  [WA_W-1:0] waddr;
    reg  [QC_W-1:0] pending;                             // results issued and not yet taken from the queue
    wire            q_pop;                               // a result taken from the queue this cycle
    reg             q_pop_q;                             // ... registered: its credit returns now
    // Flags of the counters, registered (computed from their next values); s_axis_tready is a
    // flip-flop of its own, ready_q == from_stream && (room || !row_end) except in the first cycle
    // after reset (0 there), so whatever drives the unit (a register slice, or the top's input
    // port for a first layer: rtlgen input_registered_by_layer) sees its ready from a flip-flop.
    reg             from_stream;                         // nf == 0: the first row reads the stream, later rows the buffer
    reg             row_end;                             // sf == SF - 1: this beat completes an output row
    reg             room;                                // pending != QD: a queue place is free for one more result
    reg             ready_q;                             // s_axis_tready
    // No reset term: in a reset cycle every register that issue moves is reset anyway, and a beat
    // written to the buffer then is overwritten by the first row before any row reads it. (The
    // reset net reaches every unit: kept off this path, it only drives the flip-flops' resets.)
    wire            issue       = from_stream ? s_axis_tvalid && ready_q : (room || !row_end);
    assign s_axis_tready = ready_q;
    wire [SF_W-1:0] sf_next      = !issue ? sf : row_end ? {SF_W{1'b0}} : sf + 1'b1;
    wire [NF_W-1:0] nf_next      = !(issue && row_end) ? nf : (nf == NF - 1) ? {NF_W{1'b0}} : nf + 1'b1;
    wire [QC_W-1:0] pending_next = pending + {{QC_W-1{1'b0}}, issue && row_end} - {{QC_W-1{1'b0}}, q_pop_q};
    // The flags' next values, each a 2:1 mux by issue (the late signal: the input stream's valid) of
    // values computed from registers alone, not compares of the counters' next values (on ECP5
    // that was issue -> carry chain -> compare -> flag, the critical path at 32 cycles per frame).
    wire            row_done         = issue && row_end;
    wire            from_stream_next = row_done ? (nf == NF - 1) : from_stream;
    wire            row_end_next     = issue ? (row_end ? (SF == 1) : (sf == SF - 2)) : row_end;
    // pending <= QD always, so pending + 1 - q_pop_q == QD iff pending == QD - 1 + q_pop_q, and
    // pending - q_pop_q == QD iff !q_pop_q and pending == QD.
    wire            room_if_row      = q_pop_q ? (pending != QD) : (pending != QD - 1);
    wire            room_if_not      = q_pop_q || (pending != QD);
    wire            room_next        = row_done ? room_if_row : room_if_not;

    // With BUF_LAT=1 the beat, its address and its write enable are registered first and written
    // a cycle later: the enable then comes from one flip-flop, not from the handshake logic, to
    // every LUT RAM of a wide buffer (784 int8 inputs: hundreds); the reads wait a cycle to match.
    generate if (BUF_LAT) begin : g_buf_write_late
        reg [SIMD*IN_BITS-1:0] wd_q;
        reg [SF_W-1:0]         wa_q;
        reg                    we_q;
        always @(posedge clk) begin
            wd_q <= s_axis_tdata;
            wa_q <= sf;
            we_q <= issue && from_stream && NF > 1;
            if (we_q) ibuf[wa_q] <= wd_q;
        end
    end else begin : g_buf_write_now
        always @(posedge clk) begin
            if (issue && from_stream && NF > 1) ibuf[sf] <= s_axis_tdata;
        end
    end endgenerate
    always @(posedge clk) begin
        if (rst) begin
            sf <= 0; nf <= 0; waddr <= 0; pending <= 0; q_pop_q <= 1'b0;
            from_stream <= 1'b1; row_end <= (SF == 1); room <= 1'b1; ready_q <= 1'b0;
        end else begin
            sf      <= sf_next;
            nf      <= nf_next;
            pending <= pending_next;
            q_pop_q <= q_pop;
            if (issue) waddr <= (waddr == SF * NF - 1) ? 0 : waddr + 1'b1;
            from_stream <= from_stream_next;
            row_end     <= row_end_next;
            room        <= room_next;
            ready_q     <= from_stream_next && (room_next || !row_end_next);
        end
    end

    // Control travelling with each beat: p_valid[k], p_first[k], p_last[k], p_nf[k] at stage k.
    reg [CMP_POS:1]        p_valid, p_first, p_last;
    reg [CMP_POS*NF_W-1:0] p_nf;
    integer k;
    always @(posedge clk) begin
        p_valid[1] <= issue;
        p_first[1] <= (sf == 0);
        p_last[1]  <= row_end;
        p_nf[0 +: NF_W] <= nf;
        for (k = 2; k <= CMP_POS; k = k + 1) begin
            p_valid[k] <= p_valid[k-1];
            p_first[k] <= p_first[k-1];
            p_last[k]  <= p_last[k-1];
            p_nf[(k-1)*NF_W +: NF_W] <= p_nf[(k-2)*NF_W +: NF_W];
        end
        if (rst) p_valid <= {CMP_POS{1'b0}};
    end

    // ---- stage 1: the read addresses registered -------------------------------------------------
    // (BUF_LAT=1: registered twice, so the first row reads its beat after the late write.)
    reg [SF_W-1:0] a_sf;
    reg [WA_W-1:0] a_waddr;
    generate if (BUF_LAT) begin : g_addr_late
        reg [SF_W-1:0] sf_q;
        reg [WA_W-1:0] waddr_q;
        always @(posedge clk) begin
            sf_q    <= sf;
            waddr_q <= waddr;
            a_sf    <= sf_q;
            a_waddr <= waddr_q;
        end
    end else begin : g_addr_now
        always @(posedge clk) begin
            a_sf    <= sf;
            a_waddr <= waddr;
        end
    end endgenerate

    // ---- stage 2: memory and buffer reads (read every cycle; p_valid says which count) --------
    wire [SIMD*IN_BITS-1:0] b_in;
    wire [PE*W_PE-1:0]      b_w;
    generate if (NF == 1) begin : g_stream_only
        // Every row is a first row: the stream's beat delayed to stage 2 + BUF_LAT, no buffer.
        reg [SIMD*IN_BITS-1:0] s_q, s_qq, s_qqq;   // the beat at stages 1, 2 and 3
        always @(posedge clk) begin
            s_q   <= s_axis_tdata;
            s_qq  <= s_q;
            s_qqq <= s_qq;
        end
        assign b_in = BUF_LAT ? s_qqq : s_qq;
    end else begin : g_buffer_read
        // Read-first: a word rewritten at this edge (the next vector's first beat) is read as it was.
        reg [SIMD*IN_BITS-1:0] r_buf;
        always @(posedge clk) r_buf <= ibuf[a_sf];
        assign b_in = r_buf;
    end endgenerate
    // INT_SHARED with its sums registered (PROD_LAT, in SUM_LAT + 1 steps): the weight codes are
    // read that many cycles later instead, so they meet the shared sums without registers of
    // PE*W_PE bits of their own.
    wire [WA_W-1:0] w_addr;
    generate if (INT_SHARED && PROD_LAT) begin : g_w_addr_late
        reg [WA_W-1:0] q, q2;
        always @(posedge clk) begin
            q  <= a_waddr;
            q2 <= q;
        end
        assign w_addr = q2;
    end else begin : g_w_addr_now
        assign w_addr = a_waddr;
    end endgenerate
    sbn_mvau_rom #(.DEPTH(SF * NF), .WIDTH(PE * W_PE), .ADDR_W(WA_W), .FILE(WEIGHT_FILE), .STYLE(WEIGHT_RAM_STYLE))
        u_wmem (.clk(clk), .en(1'b1), .addr(w_addr), .data(b_w));

    // ---- READ_REG stages: the reads registered again --------------------------------------------
    wire [SIMD*IN_BITS-1:0] t_in;   // the tree's operands
    wire [PE*W_PE-1:0]      t_w;
    generate if (READ_REG) begin : g_read_reg
        reg [SIMD*IN_BITS-1:0] r_in, r_in2;
        reg [PE*W_PE-1:0]      r_w, r_w2;
        always @(posedge clk) begin
            r_in  <= b_in;
            r_w   <= b_w;
            r_in2 <= r_in;
            r_w2  <= r_w;
        end
        assign t_in = READ_REG >= 2 ? r_in2 : r_in;
        assign t_w  = READ_REG >= 2 ? r_w2 : r_w;
    end else begin : g_no_read_reg
        assign t_in = b_in;
        assign t_w  = b_w;
    end endgenerate

    // ---- adder tree (TREE_LAT stages) -----------------------------------------------------------
    // Per PE, the SIMD products are summed: integer ones by a balanced adder tree
    // (rtl/sbn_adder_tree.v), single-bit ones by rtl/sbn_popcount.v (the product fused into it).
    // Integer mode: leaves are w ? x : -x (x widened by one bit so that -x always fits).
    // (Measured with Yosys: gating, 2*sum(w ? x : 0) - sum(x), costs more LUTs than add/sub leaves.)
    //
    // Shared sums (MODE=0, INT_SHARED=1): the lanes are taken in groups of three. Every PE sees the
    // same inputs, so the four sums x0 + (+-x1) + (+-x2) of a group are computed once for all PEs
    // (and registered, the PROD_REG stage); a PE's group product w0 x0 + w1 x1 + w2 x2 is one of
    // them, or its negation. Its weight code {neg, m1, m0} (written by the generator: m0 = w1 != w0,
    // m1 = w2 != w0, neg = !w0) selects the sum (a 4:1 mux, one LUT6 per bit), and neg takes the
    // ones' complement, -v - 1, which the first adder of the tree absorbs. So each PE adds SIMD/3
    // leaves instead of SIMD products; the missing +1 of every negated group is the same for every
    // input, and the generator adds the row's count of them to its threshold (hence HAS_THRESH=1).
    // Unsigned inputs enter centred, x - 2^(IN_BITS-1) (the top bit inverted), so the sums need one
    // bit less; the generator folds the row's 2^(IN_BITS-1) * sum(w) into the threshold too.
    // Yosys synth_xilinx, 784x256 int8 at 16x49: about 11 LUTs per lane against about 21.
    localparam X_W = IN_BITS + 1;
    wire [PE*ACC_W-1:0] partial;
    wire [SH_G*4*SH_W-1:0] sh_sum;  // INT_SHARED: group g's sum for code m at [(g*4 + m)*SH_W +: SH_W]
    wire [PE*W_PE-1:0]     sh_w;    // INT_SHARED: the weight codes, in step with sh_sum (see w_addr)
    genvar gs, gm;
    // Lane i as a signed IN_BITS-bit value widened to SH_W: itself if signed, x - 2^(IN_BITS-1) if not.
    function signed [SH_W-1:0] lane(input integer i);
        reg [IN_BITS-1:0] raw;
        begin
            raw = t_in[i*IN_BITS +: IN_BITS];
            raw[IN_BITS-1] = IN_SIGNED ? raw[IN_BITS-1] : ~raw[IN_BITS-1];
            lane = $signed(raw);
        end
    endfunction
    generate
        if (INT_SHARED && (MODE != 0 || INT_DSP || !HAS_THRESH)) begin : g_bad_shared
            // The shared-sum form is for thresholded integer layers in LUTs: stop elaboration here.
            sbn_mvau_INT_SHARED_needs_MODE_0_INT_DSP_0_and_HAS_THRESH_1 u_error ();
        end else if (INT_SHARED) begin : g_shared
`ifdef SBN_FAST_SIM
            // Simulation model (see g_int_shared): every group's four sums sign-extended to ACC_W
            // bits, once for all PEs; group g's sum for code m is fast_sum4[g*4 + m].
            wire [ACC_W-1:0] fast_sum4 [0:SH_G*4-1];
`endif
            for (gs = 0; gs < SH_G; gs = gs + 1) begin : g_group
                wire signed [SH_W-1:0] x0, x1, x2;   // the group's lanes (centred if unsigned); 0 past SIMD
                assign x0 = lane((3*gs));
                if (3 * gs + 1 < SIMD) begin : g_x1
                    assign x1 = lane((3*gs+1));
                end else begin : g_x1_pad
                    assign x1 = {SH_W{1'b0}};
                end
                if (3 * gs + 2 < SIMD) begin : g_x2
                    assign x2 = lane((3*gs+2));
                end else begin : g_x2_pad
                    assign x2 = {SH_W{1'b0}};
                end
                wire [4*SH_W-1:0] sums4;              // the group's four sums, code m at [m*SH_W +: SH_W]
                if (PROD_LAT) begin : g_reg
                    // Two registered steps (SUM_LAT): x0 +- x1 and x2, then the four sums. One step
                    // chained two carry chains, the critical path on ECP5 at 32 cycles per frame.
                    reg signed [SH_W-1:0] p_q, m_q, x2_q;
                    reg        [4*SH_W-1:0] q;
                    always @(posedge clk) begin
                        p_q  <= x0 + x1;
                        m_q  <= x0 - x1;
                        x2_q <= x2;
                        q    <= {m_q - x2_q, p_q - x2_q, m_q + x2_q, p_q + x2_q};
                    end
                    assign sums4 = q;
                end else begin : g_comb
                    assign sums4 = {x0 - x1 - x2, x0 + x1 - x2, x0 - x1 + x2, x0 + x1 + x2};
                end
                assign sh_sum[gs*4*SH_W +: 4*SH_W] = sums4;
`ifdef SBN_FAST_SIM
                for (gm = 0; gm < 4; gm = gm + 1) begin : g_fast_sum
                    assign fast_sum4[gs*4 + gm] = {{ACC_W{sums4[gm*SH_W+SH_W-1]}}, sums4[gm*SH_W +: SH_W]};
                end
`endif
            end
            assign sh_w = t_w;  // already SUM_LAT + 1 cycles later when PROD_LAT (w_addr)
        end else begin : g_no_shared
            assign sh_sum = {SH_G*4*SH_W{1'b0}};
            assign sh_w   = {PE*W_PE{1'b0}};
        end
    endgenerate
    wire [ACC_W-1:0]    x_ones;   // popcount of the input bits (and_act correction, shared by all PEs)
    genvar gp, gi;
    generate
        if (MODE == 2) begin : g_x_ones
            sbn_popcount #(.N(SIMD), .LANE_OP(1), .OUT_W(ACC_W), .STAGE_LEVELS(TREE_LEVELS)) u_ones (
                .clk(clk), .x(t_in[SIMD-1:0]), .w({SIMD{1'b1}}), .count(x_ones));
        end else begin : g_no_x_ones
            assign x_ones = {ACC_W{1'b0}};
        end
        for (gp = 0; gp < PE; gp = gp + 1) begin : g_pe
            if (MODE == 0 && INT_DSP) begin : g_int_dsp
                // Every PE's sums at once (they share the inputs): rtl/sbn_dsp_dot.v, made in PE 0.
                if (gp == 0) begin : g_dot
                    sbn_dsp_dot #(.N(SIMD), .PE(PE), .IN_BITS(IN_BITS), .IN_SIGNED(IN_SIGNED), .OUT_W(ACC_W),
                                  .CHAIN(DSP_CHAIN), .STAGE_LEVELS(TREE_LEVELS)) u_dot (
                        .clk(clk), .rst(rst), .x(t_in), .w(t_w), .sum(partial));
                end
            end else if (MODE == 0 && INT_SHARED) begin : g_int_shared
`ifdef SBN_FAST_SIM
                // Simulation model (the whole-accelerator bench defines SBN_FAST_SIM): the PE's sum of
                // its groups' leaves, each its group's sum for the code, sign-extended once for all
                // PEs (fast_sum4) and complemented by the code, then delayed by the leaf register and
                // the tree's latency. The leaves' registers and the tree below give the same value:
                // the sum modulo 2^ACC_W, as the tree's capped levels give.
                // tests/rtl/test_sbn_mvau.py runs the module sweep on both forms.
                reg [ACC_W-1:0] now;
                reg [2:0]       code;
                integer fg;
                always @* begin
                    now = {ACC_W{1'b0}};
                    for (fg = 0; fg < SH_G; fg = fg + 1) begin
                        code = sh_w[(gp*SH_G + fg)*3 +: 3];   // {neg, m1, m0}: sum m, complemented if neg
                        now = now + (g_shared.fast_sum4[fg*4 + code[1:0]] ^ {ACC_W{code[2]}});
                    end
                end
                if (LEAF_LAT + TREE_LAT == 0) begin : g_now
                    assign partial[gp*ACC_W +: ACC_W] = now;
                end else begin : g_delay
                    reg [ACC_W-1:0] q [0:LEAF_LAT+TREE_LAT-1];
                    integer d;
                    always @(posedge clk) begin
                        q[0] <= now;
                        for (d = 1; d < LEAF_LAT + TREE_LAT; d = d + 1) q[d] <= q[d-1];
                    end
                    assign partial[gp*ACC_W +: ACC_W] = q[LEAF_LAT+TREE_LAT-1];
                end
`else
                wire [SH_G*SH_W-1:0] leaf;
                for (gi = 0; gi < SH_G; gi = gi + 1) begin : g_leaf
                    wire [2:0]        code = sh_w[(gp*SH_G + gi)*3 +: 3];     // {neg, m1, m0}
                    wire [4*SH_W-1:0] four = sh_sum[gi*4*SH_W +: 4*SH_W];     // the group's four sums
                    // An explicit 4:1 mux (a computed part-select becomes a shifter in synthesis).
                    wire [SH_W-1:0]   sel  = code[1] ? (code[0] ? four[3*SH_W +: SH_W] : four[2*SH_W +: SH_W])
                                                     : (code[0] ? four[SH_W +: SH_W] : four[0 +: SH_W]);
                    wire [SH_W-1:0]   v;
                    wire              neg;
                    if (LEAF_LAT) begin : g_reg
                        // The mux (a LUT level, and on 4-input LUTs two) gets a cycle of its own; the
                        // negation stays after the register, where it folds into the tree's first adder.
                        reg [SH_W-1:0] v_q;
                        reg            neg_q;
                        always @(posedge clk) begin
                            v_q   <= sel;
                            neg_q <= code[2];
                        end
                        assign v = v_q;
                        assign neg = neg_q;
                    end else begin : g_comb
                        assign v = sel;
                        assign neg = code[2];
                    end
                    assign leaf[gi*SH_W +: SH_W] = v ^ {SH_W{neg}};           // neg: -v - 1
                end
                sbn_adder_tree #(.N(SH_G), .IN_W(SH_W), .OUT_W(ACC_W), .SIGNED(1), .STAGE_LEVELS(TREE_LEVELS)) u_sum (
                    .clk(clk), .in_data(leaf), .sum(partial[gp*ACC_W +: ACC_W]));
`endif
            end else if (MODE == 0) begin : g_int
                wire [SIMD*X_W-1:0] prod;
                for (gi = 0; gi < SIMD; gi = gi + 1) begin : g_prod
                    wire [X_W-1:0] x = {IN_SIGNED ? t_in[gi*IN_BITS+IN_BITS-1] : 1'b0, t_in[gi*IN_BITS +: IN_BITS]};
                    wire [X_W-1:0] y = t_w[gp*SIMD+gi] ? x : (~x + 1'b1);
                    if (PROD_LAT) begin : g_reg
                        reg [X_W-1:0] q;
                        always @(posedge clk) q <= y;
                        assign prod[gi*X_W +: X_W] = q;
                    end else begin : g_comb
                        assign prod[gi*X_W +: X_W] = y;
                    end
                end
                sbn_adder_tree #(.N(SIMD), .IN_W(X_W), .OUT_W(ACC_W), .SIGNED(1), .STAGE_LEVELS(TREE_LEVELS)) u_sum (
                    .clk(clk), .in_data(prod), .sum(partial[gp*ACC_W +: ACC_W]));
            end else begin : g_bits
                // One bit per lane, XNOR (mode 1) or AND (modes 2, 3), fused into the popcount.
                wire [ACC_W-1:0] count;
                sbn_popcount #(.N(SIMD), .LANE_OP(MODE == 1 ? 0 : 1), .OUT_W(ACC_W), .STAGE_LEVELS(TREE_LEVELS)) u_pop (
                    .clk(clk), .x(t_in[SIMD-1:0]), .w(t_w[gp*SIMD +: SIMD]), .count(count));
                assign partial[gp*ACC_W +: ACC_W] = (MODE == 2) ? (count << 1) - x_ones : count;
            end
        end
    endgenerate

    // ---- accumulate (ACC_POS) and compare (CMP_POS) ---------------------------------------------
    // The threshold memory is read one stage before the compare (1 + READ_REG with READ_REG, its
    // read then registered again like the weights'), addressed by the row travelling with the beat (the
    // issue counter itself when that stage is the issue stage).
    localparam TH_POS = CMP_POS - 1 - READ_REG;          // stage that addresses the threshold memory
    wire [PE*TE_BITS-1:0] c_th;
    wire [NF_W-1:0]       th_addr;
    generate if (TH_POS == 0) begin : g_th_addr_issue
        assign th_addr = nf;
    end else begin : g_th_addr_pipe
        assign th_addr = p_nf[(TH_POS-1)*NF_W +: NF_W];
    end endgenerate
    generate if (HAS_THRESH) begin : g_tmem
        wire [PE*TE_BITS-1:0] th_read;
        sbn_mvau_rom #(.DEPTH(NF), .WIDTH(PE * TE_BITS), .ADDR_W(NF_W), .FILE(THRESH_FILE), .STYLE(THRESH_RAM_STYLE))
            u_tmem (.clk(clk), .en(1'b1), .addr(th_addr), .data(th_read));
        if (READ_REG) begin : g_th_reg
            reg [PE*TE_BITS-1:0] th_q, th_q2;
            always @(posedge clk) begin
                th_q  <= th_read;
                th_q2 <= th_q;
            end
            assign c_th = READ_REG >= 2 ? th_q2 : th_q;
        end else begin : g_th_now
            assign c_th = th_read;
        end
    end else begin : g_no_tmem
        assign c_th = {PE*TE_BITS{1'b0}};
    end endgenerate

    reg  [PE*ACC_W-1:0] acc_q;
    reg  [PE*ACC_W-1:0] acc_next;
    wire [PE*ACC_W-1:0] c_sum;      // the row's sum at the compare stage
    reg  [PE*OUT_BITS-1:0] result;
    reg  signed [ACC_W-1:0] sum;
    reg  signed [CMP_W-1:0] a_cmp, t_cmp;
    integer p;
    always @* begin
        for (p = 0; p < PE; p = p + 1) begin
            sum = (p_first[ACC_POS] ? {ACC_W{1'b0}} : acc_q[p*ACC_W +: ACC_W]) + partial[p*ACC_W +: ACC_W];
            acc_next[p*ACC_W +: ACC_W] = sum;
        end
    end
    always @(posedge clk) begin
        if (p_valid[ACC_POS]) acc_q <= acc_next;
    end
    generate if (CMP_REG) begin : g_cmp_reg
        reg [PE*ACC_W-1:0] s_q;
        always @(posedge clk) s_q <= acc_next;
        assign c_sum = s_q;
    end else begin : g_no_cmp_reg
        assign c_sum = acc_next;
    end endgenerate
    always @* begin
        for (p = 0; p < PE; p = p + 1) begin
            if (HAS_THRESH) begin
                a_cmp = $signed(c_sum[p*ACC_W +: ACC_W]);
                t_cmp = $signed(c_th[p*TE_BITS +: TH_BITS]);
                result[p*OUT_BITS +: OUT_BITS] = c_th[p*TE_BITS+TH_BITS] ? (a_cmp <= t_cmp) : (a_cmp >= t_cmp);
            end else begin
                result[p*OUT_BITS +: OUT_BITS] = c_sum[p*ACC_W +: OUT_BITS];
            end
        end
    end

    // ---- output queue: the skid buffer between the pipeline and m_axis ---------------------------
    // Its s_axis_tready is always high while the credit count holds (a result is issued only with
    // a free place reserved), so it is not consulted.
    wire q_push = p_valid[CMP_POS] && p_last[CMP_POS];
    wire q_ready_unused;
    assign q_pop = m_axis_tvalid && m_axis_tready;
    axis_fifo #(.WIDTH(PE * OUT_BITS), .DEPTH(QD)) u_queue (
        .clk(clk), .rst(rst),
        .s_axis_tdata(result), .s_axis_tvalid(q_push), .s_axis_tready(q_ready_unused),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
endmodule

// sbn_mvau_rom: an initialised read-only memory with a registered read (data <= mem[addr] when en),
// the shape block RAM needs. STYLE becomes a synthesis attribute; an attribute value must be a
// constant, hence one generate branch per style. Yosys (memory_libmap) and Vivado read them:
//   "auto"        no attribute: the tool decides (Yosys compares its own cost estimates)
//   "block"       block RAM (RAMB18/RAMB36)
//   "distributed" LUTs holding the bits (Vivado rom_style "distributed"). Yosys maps no ROM to LUT
//                 RAM (its library prunes ROMs), so there it becomes the same LUT logic as "logic".
//   "logic"       registers / LUT logic (ram_style "registers"): constant words the tool folds
//                 into logic, with no block or LUT RAM
module sbn_mvau_rom #(
    parameter DEPTH  = 2,       // words
    parameter WIDTH  = 1,       // bits per word
    parameter ADDR_W = 1,       // address bits: $clog2(DEPTH), at least 1
    parameter FILE   = "",      // $readmemh image of DEPTH words ("" leaves it uninitialised)
    parameter STYLE  = "auto"   // "auto" | "block" | "distributed" | "logic" (see above)
) (
    input  wire              clk,
    input  wire              en,     // read enable: data keeps its value while low
    input  wire [ADDR_W-1:0] addr,
    output reg  [WIDTH-1:0]  data
);
    // The file checks let tools elaborate the module with default parameters first (Yosys does).
    generate
        if (STYLE == "block") begin : g_block
            (* ram_style = "block", rom_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            if (FILE != "") begin : g_init
                initial $readmemh(FILE, mem);
            end
            always @(posedge clk) if (en) data <= mem[addr];
        end else if (STYLE == "distributed") begin : g_distributed
`ifdef YOSYS
            (* rom_style = "logic" *)
`else
            (* rom_style = "distributed" *)
`endif
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            if (FILE != "") begin : g_init
                initial $readmemh(FILE, mem);
            end
            always @(posedge clk) if (en) data <= mem[addr];
        end else if (STYLE == "logic") begin : g_logic
            (* ram_style = "registers" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            if (FILE != "") begin : g_init
                initial $readmemh(FILE, mem);
            end
            always @(posedge clk) if (en) data <= mem[addr];
        end else if (STYLE == "auto") begin : g_auto
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            if (FILE != "") begin : g_init
                initial $readmemh(FILE, mem);
            end
            always @(posedge clk) if (en) data <= mem[addr];
        end else begin : g_bad_style
            // Not a style: instantiating a module that does not exist stops elaboration here.
            sbn_mvau_rom_STYLE_must_be_auto_block_distributed_or_logic u_error ();
        end
    endgenerate
endmodule
