// sbn_lab: LAB's K x K binarizer (Learnable Activation Binarizer, Falkena et al.) on the integer
// accumulators of the MVAU before it (sbn_hw.compile.accel.LabSpec, golden: sbn_hw.golden.lab).
//
// A frame is an NHWC map: IFM_H x IFM_W pixels row-major, each pixel C elements in CF = C/PE beats
// of PE elements (element j of a beat at bits [j*IN_BITS +: IN_BITS], two's complement when
// IN_SIGNED=1). Every element (pixel (y, x), channel c) becomes one bit, in the same order and
// beat shape:
//   S   = sum over (dy, dx) in [-R, R]^2 with (y+dy, x+dx) inside the map of
//         tap[c][dy+R][dx+R] * in[y+dy][x+dx][c]             ("same" zero padding, R = K/2)
//   bit = le[c] ? (S <= T[c][cy][cx]) : (S >= T[c][cy][cx])
// where cy, cx are the border classes of y and x (which taps are inside the map):
//   class(p, size) = min(p, R) + max(0, p - (size - 1 - R)), in 0..2R.
//
// How: every accepted beat shifts a chain of SPAN = 2L + 1 beats, L = (R*IFM_W + R)*CF. The beat
// that left the input L beats ago is then the centre of its window and every tap sits at a fixed
// place in the chain: tap (dy, dx) of that beat is chain[((R-dy)*IFM_W + (R-dx))*CF]. Taps that
// fall outside the map (wrapping into another row, or into another frame) are masked to zero by
// the output position's counters, so what fills those places never matters. Output beat m of a
// frame therefore comes out with shift L + m. The last L outputs of a frame need L more shifts:
//   - continuous: the next frame's first L beats are those shifts (frames back to back: one beat
//     in and one out per cycle, FRAME = IFM_H*IFM_W*CF cycles per frame);
//   - flush: if no beat is offered when the frame's last beat has gone in, L empty shifts
//     finish the frame and the next one starts afresh (its first L shifts emit nothing).
// Continuous mode needs L < FRAME (tiny maps always flush).
//
// Memories (sbn_mvau_rom, $readmemh, one hex word per line, most significant digit first; written
// by sbn_hw.rtlgen.generate.lab_tap_words / lab_threshold_words), CF words each, word g for
// channels g*PE .. g*PE+PE-1:
//   TAPS_FILE:   element j, tap t = (dy+R)*K + (dx+R): bits [(j*KK + t)*TAP_BITS +: TAP_BITS]
//   THRESH_FILE: element j: {le, T[cy*K + cx] for the KK classes} at bits [j*(KK*TH_BITS+1) +: ...],
//                class k at [j*(KK*TH_BITS+1) + k*TH_BITS +: TH_BITS], le at the entry's top bit.
//
// Pipeline (stage k = k cycles after the shift; no stage ever stalls):
//   0  shift: the chain moves, the output position (y, x, channel word) is registered
//   1  the KK masked window values of the PE elements registered; the tap word read
//   2  S per element (KK products and their sum) registered; the threshold word read
//   3  the compare: the bits enter the output queue (axis_fifo) -> m_axis
// Backpressure never reaches into the pipeline: a shift that emits an output happens only while
// the queue has a free place reserved for it (a credit count), so s_axis_tready depends on
// registers alone.
//
// Needs rtl/sbn_mvau.v (sbn_mvau_rom) and rtl/axis_fifo.v.
module sbn_lab #(
    parameter IN_BITS     = 8,    // bits per input element (the MVAU's accumulator)
    parameter IN_SIGNED   = 0,    // 1: input elements are two's complement; 0: unsigned
    parameter PE          = 1,    // elements per beat, in and out; divides C
    parameter C           = 1,    // channels per pixel
    parameter IFM_H       = 4,    // map height
    parameter IFM_W       = 4,    // map width
    parameter K           = 3,    // window side, odd
    parameter TAP_BITS    = 4,    // two's complement tap width
    parameter SUM_BITS    = 16,   // two's complement width holding every window sum S
    parameter TH_BITS     = 17,   // two's complement threshold width
    parameter TAPS_FILE   = "",   // $readmemh: CF words of PE*K*K*TAP_BITS bits (see above)
    parameter THRESH_FILE = ""    // $readmemh: CF words of PE*(K*K*TH_BITS+1) bits (see above)
) (
    input  wire                  clk,
    input  wire                  rst,            // synchronous, active high
    input  wire [PE*IN_BITS-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    output wire [PE-1:0]         m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready
);
    localparam CF      = C / PE;                              // beats per pixel
    localparam R       = K / 2;
    localparam KK      = K * K;
    localparam L       = (R * IFM_W + R) * CF;                // shifts from a beat's arrival to its output
    localparam SPAN    = 2 * L + 1;                           // beats in the chain
    localparam FRAME   = IFM_H * IFM_W * CF;                  // beats per frame
    localparam CONT    = (L < FRAME) ? 1 : 0;                 // continuous mode possible
    localparam N_W     = $clog2(FRAME + L + 1);               // shift counter 0 .. FRAME+L-1
    localparam G_W     = CF > 1 ? $clog2(CF) : 1;
    localparam Y_W     = IFM_H > 1 ? $clog2(IFM_H) : 1;
    localparam X_W     = IFM_W > 1 ? $clog2(IFM_W) : 1;
    localparam BEAT_W  = PE * IN_BITS;
    localparam TAP_W   = PE * KK * TAP_BITS;                  // one tap word
    localparam ENTRY_W = KK * TH_BITS + 1;                    // one element's thresholds and le
    localparam TH_W    = PE * ENTRY_W;                        // one threshold word
    localparam POS     = 3;                                   // stage at which results enter the queue
    localparam QD      = 1 << $clog2(POS + 2);                // output queue depth
    localparam QC_W    = $clog2(QD) + 1;

    // Illegal parameters stop elaboration: instantiating a module that does not exist names the error.
    generate
        if (PE < 1 || C < 1 || C % PE != 0) begin : g_err_pe
            sbn_lab_ERROR_PE_must_divide_C u_error ();
        end
        if (K < 1 || K % 2 == 0 || K > 15) begin : g_err_k
            sbn_lab_ERROR_K_must_be_odd_between_1_and_15 u_error ();
        end
        if (IFM_H < 1 || IFM_W < 1 || IN_BITS < 1) begin : g_err_sizes
            sbn_lab_ERROR_IFM_H_IFM_W_IN_BITS_must_be_at_least_1 u_error ();
        end
        if (TAP_BITS < 2 || SUM_BITS < 2 || TH_BITS < 2) begin : g_err_widths
            sbn_lab_ERROR_TAP_BITS_SUM_BITS_TH_BITS_must_be_at_least_2 u_error ();
        end
    endgenerate

    // ---- stage 0: the shift ---------------------------------------------------------------------
    reg  [N_W-1:0]    n;                                      // shifts of the current output frame
    reg               cont;                                   // this frame's tail is the next frame's head
    reg  [QC_W-1:0]   pending;                                // outputs issued, not yet taken from the queue
    reg  [G_W-1:0]    og;                                     // output position: channel word,
    reg  [X_W-1:0]    ox;                                     //   column,
    reg  [Y_W-1:0]    oy;                                     //   row
    wire              q_pop;
    wire              room      = (pending != QD);
    wire              in_frame  = (n < FRAME);                // shifts that take the frame's own beats
    wire              at_tail   = (n == FRAME);               // first shift past the frame: decide the mode
    // Not gated by rst (see axis_dwc.v): the reset branch overrides a word taken during reset.
    assign s_axis_tready = room && (in_frame || (CONT != 0 && (at_tail || cont)));
    wire              take      = s_axis_tvalid && s_axis_tready;
    wire              bubble    = !rst && room && !in_frame && !take && (at_tail || !cont);
    wire              shift     = take || bubble;
    wire              emit      = shift && (n >= L);          // this shift completes an output's window

    reg  [SPAN*BEAT_W-1:0] chain;                             // beat s at [s*BEAT_W +: BEAT_W]; beat 0 the newest
    wire [BEAT_W-1:0]      newest = take ? s_axis_tdata : {BEAT_W{1'b0}};
    generate
        if (SPAN > 1) begin : g_chain
            always @(posedge clk) if (shift) chain <= {chain[(SPAN-1)*BEAT_W-1:0], newest};
        end else begin : g_single
            always @(posedge clk) if (shift) chain <= newest;
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            n <= 0; cont <= 1'b0; pending <= 0; og <= 0; ox <= 0; oy <= 0;
        end else begin
            if (shift) begin
                if (at_tail) cont <= take;
                if (n == FRAME + L - 1) begin
                    n <= (!in_frame && take) ? L[N_W-1:0] : {N_W{1'b0}};  // continuous: L of the next frame are in
                    if (in_frame || !take) cont <= 1'b0;
                end else begin
                    n <= n + 1'b1;
                end
            end
            if (emit) begin
                if (og == CF - 1) begin
                    og <= 0;
                    if (ox == IFM_W - 1) begin
                        ox <= 0;
                        oy <= (oy == IFM_H - 1) ? {Y_W{1'b0}} : oy + 1'b1;
                    end else begin
                        ox <= ox + 1'b1;
                    end
                end else begin
                    og <= og + 1'b1;
                end
            end
            pending <= pending + {{QC_W-1{1'b0}}, emit} - {{QC_W-1{1'b0}}, q_pop};
        end
    end
    reg [POS:1] p_valid;                                      // p_valid[k]: an output is at stage k
    always @(posedge clk) begin
        if (rst) p_valid <= {POS{1'b0}};
        else     p_valid <= {p_valid[POS-1:1], emit};
    end
    reg [G_W-1:0] g1, g2;
    reg [Y_W-1:0] y1;
    reg [X_W-1:0] x1;
    always @(posedge clk) begin
        g1 <= og; y1 <= oy; x1 <= ox;
        g2 <= g1;
    end

    // ---- stage 1: the masked window, the tap word --------------------------------------------------
    function integer border_class(input integer p, input integer size);
        border_class = ((p < R) ? p : R) + ((p > size - 1 - R) ? p - (size - 1 - R) : 0);
    endfunction
    reg  [PE*KK*IN_BITS-1:0] win2;                            // element j, tap t at [(j*KK + t)*IN_BITS]
    reg  [7:0]               cls2, cls3;                      // cy*K + cx (K <= 15: fewer than 256 classes)
    integer i, jx, e, yy, xx;
    always @(posedge clk) begin
        for (i = 0; i < K; i = i + 1) begin
            for (jx = 0; jx < K; jx = jx + 1) begin
                yy = y1;  // as integers: the offsets below may make them negative
                xx = x1;
                yy = yy + i - R;
                xx = xx + jx - R;
                for (e = 0; e < PE; e = e + 1) begin
                    win2[(e*KK + i*K + jx)*IN_BITS +: IN_BITS] <=
                        (yy >= 0 && yy < IFM_H && xx >= 0 && xx < IFM_W)
                            ? chain[((2*R - i) * IFM_W + (2*R - jx)) * CF * BEAT_W + e*IN_BITS +: IN_BITS]
                            : {IN_BITS{1'b0}};
                end
            end
        end
        cls2 <= border_class(y1, IFM_H) * K + border_class(x1, IFM_W);
        cls3 <= cls2;
    end
    wire [TAP_W-1:0] taps;
    sbn_mvau_rom #(.DEPTH(CF), .WIDTH(TAP_W), .ADDR_W(G_W), .FILE(TAPS_FILE), .STYLE("auto"))
        u_taps (.clk(clk), .en(1'b1), .addr(g1), .data(taps));

    // ---- stage 2: S per element ---------------------------------------------------------------------
    reg  signed [SUM_BITS-1:0] sum, s3 [0:PE-1];
    reg  signed [IN_BITS:0]    v;                             // one element, widened by a sign or zero bit
    reg  signed [TAP_BITS-1:0] q;
    integer t, j;
    always @(posedge clk) begin
        for (j = 0; j < PE; j = j + 1) begin
            sum = 0;
            for (t = 0; t < KK; t = t + 1) begin
                v = $signed({IN_SIGNED != 0 && win2[(j*KK + t)*IN_BITS + IN_BITS - 1], win2[(j*KK + t)*IN_BITS +: IN_BITS]});
                q = $signed(taps[(j*KK + t)*TAP_BITS +: TAP_BITS]);
                sum = sum + v * q;
            end
            s3[j] <= sum;
        end
    end
    wire [TH_W-1:0] th;
    sbn_mvau_rom #(.DEPTH(CF), .WIDTH(TH_W), .ADDR_W(G_W), .FILE(THRESH_FILE), .STYLE("auto"))
        u_thresh (.clk(clk), .en(1'b1), .addr(g2), .data(th));

    // ---- stage 3: the compare, into the output queue ---------------------------------------------------
    reg  [PE-1:0]             bits;
    reg  signed [TH_BITS-1:0] tcmp;
    integer b;
    always @* begin
        for (b = 0; b < PE; b = b + 1) begin
            tcmp = $signed(th[b*ENTRY_W + cls3*TH_BITS +: TH_BITS]);
            bits[b] = th[b*ENTRY_W + KK*TH_BITS] ? (s3[b] <= tcmp) : (s3[b] >= tcmp);
        end
    end
    wire q_ready_unused;
    assign q_pop = m_axis_tvalid && m_axis_tready;
    axis_fifo #(.WIDTH(PE), .DEPTH(QD)) u_queue (
        .clk(clk), .rst(rst),
        .s_axis_tdata(bits), .s_axis_tvalid(p_valid[POS]), .s_axis_tready(q_ready_unused),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
    );
endmodule
