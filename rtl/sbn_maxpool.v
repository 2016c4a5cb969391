// sbn_maxpool: streaming K x K max pooling with stride K (MaxPool2d(kernel_size=K), floor mode) of
// binary or small-integer feature maps.
//
// Input, one frame after another with no gap: IFM_H x IFM_W pixels of C channels, EW bits per
// element, NHWC: pixels in row-major order, each pixel as C/PE words of PE elements (element j of
// word w at bits [j*EW +: EW] is channel w*PE + j). Output: OH x OW pixels, OH = IFM_H / K and
// OW = IFM_W / K, in the same layout, out(oy, ox, c) = max over ky, kx < K of in(oy*K+ky, ox*K+kx, c).
// Trailing rows and columns that do not fill a window are accepted and dropped.
//
// Elements compare as unsigned (SIGNED_ELEMS=0) or two's complement (SIGNED_ELEMS=1). A 1-bit
// element is a bipolar (1 = +1) or binary {0,1} code; in both the maximum is the OR of the bits, so
// with EW=1 the datapath is OR gates and a select (and SIGNED_ELEMS must be 0).
//
// Timing: one input word per cycle; the pooling never stalls the input, so cycles per frame =
// IFM_H * IFM_W * C/PE input words, plus one cycle of latency. Each accepted word is
// read-modify-written, in the cycle it is accepted, into a row buffer of partial maxima
// (OW * C/PE words of PE*EW bits, read asynchronously: LUT RAM or registers; none when K=1). The
// word that completes a window (its last row and column) goes to a 2-word output queue instead and
// leaves on m_axis from the next cycle. s_axis_tready depends on registers only (position counters
// and the queue's fill), never combinationally on m_axis_tready: a word that completes no window is
// always taken; one that completes a window waits only while the queue is full.
//
// Illegal parameters (K < 1, K larger than the map, PE not dividing C, EW=1 with SIGNED_ELEMS=1)
// stop elaboration with an error naming a missing module sbn_maxpool_ERROR_<what is wrong>.
module sbn_maxpool #(
    parameter EW           = 1,   // bits per element
    parameter PE           = 1,   // elements (channels) per stream word; must divide C
    parameter C            = 1,   // channels per pixel
    parameter IFM_H        = 2,   // input feature map rows
    parameter IFM_W        = 2,   // input feature map columns
    parameter K            = 2,   // window side and stride: 1 <= K <= IFM_H and K <= IFM_W
    parameter SIGNED_ELEMS = 0    // 0: unsigned elements; 1: two's complement (needs EW >= 2)
) (
    input  wire             clk,
    input  wire             rst,            // synchronous, active high
    input  wire [PE*EW-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [PE*EW-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam WW    = PE * EW;                          // bits per word
    localparam KK    = K < 1 ? 1 : K;                    // (keeps the divisions legal; K < 1 is refused below)
    localparam CF    = PE < 1 ? 1 : C / PE;              // words per pixel
    localparam OW    = IFM_W / KK;                       // output columns
    localparam KEEP_W = OW * KK;                         // input columns that fill windows
    localparam DEPTH = OW * CF;                          // row buffer words
    localparam CF_W  = CF > 1 ? $clog2(CF) : 1;
    localparam X_W   = IFM_W > 1 ? $clog2(IFM_W) : 1;
    localparam Y_W   = IFM_H > 1 ? $clog2(IFM_H) : 1;
    localparam K_W   = KK > 1 ? $clog2(KK) : 1;
    localparam A_W   = $clog2(DEPTH + CF) > 0 ? $clog2(DEPTH + CF) : 1;  // dropped columns park at DEPTH..DEPTH+CF-1

    // ---- parameter checks (Verilog-2005 has no $error: a missing module names the problem) -----
    generate
        if (K < 1) begin : g_err_k
            sbn_maxpool_ERROR_K_must_be_at_least_1 u_err();
        end
        if (K > IFM_H || K > IFM_W) begin : g_err_size
            sbn_maxpool_ERROR_K_larger_than_IFM_H_or_IFM_W u_err();
        end
        if (PE < 1 || C < 1 || C % (PE < 1 ? 1 : PE) != 0) begin : g_err_pe
            sbn_maxpool_ERROR_PE_must_divide_C u_err();
        end
        if (EW < 1) begin : g_err_ew
            sbn_maxpool_ERROR_EW_must_be_at_least_1 u_err();
        end
        if (EW == 1 && SIGNED_ELEMS != 0) begin : g_err_signed
            sbn_maxpool_ERROR_1_bit_elements_are_bipolar_or_binary_codes_use_SIGNED_ELEMS_0 u_err();
        end
    endgenerate

    // ---- position in the frame ---------------------------------------------------------------
    reg  [CF_W-1:0] c;                                   // word within the pixel
    reg  [X_W-1:0]  x;                                   // input column
    reg  [Y_W-1:0]  y;                                   // input row
    reg  [K_W-1:0]  kx, ky;                              // column / row within the window
    reg  [A_W-1:0]  addr;                                // row buffer word: (x / K) * CF + c
    reg  [1:0]      q_n;                                 // words in the output queue (0..2)
    wire pix_end = (c == CF - 1);
    wire row_end = pix_end && (x == IFM_W - 1);
    wire frm_end = row_end && (y == IFM_H - 1);
    wire first   = (kx == 0) && (ky == 0);               // opens its window
    // Completes its window. The trailing rows and columns (fewer than K) never reach
    // kx = K-1 and ky = K-1, so a dropped word never produces output; a dropped row only rewrites
    // partial maxima that the next frame's first row overwrites, and a dropped column (whose
    // buffer address is past the row) is kept from writing by in_cols.
    wire last    = (kx == KK - 1) && (ky == KK - 1);
    wire in_cols = (x < KEEP_W);
    wire produce = last;
    // Not gated by rst (see axis_dwc.v): the reset branch overrides a word taken during reset.
    assign s_axis_tready = !produce || q_n != 2'd2;
    wire accept  = s_axis_tvalid && s_axis_tready;
    wire push    = accept && produce;

    always @(posedge clk) begin
        if (rst) begin
            c <= 0; x <= 0; y <= 0; kx <= 0; ky <= 0; addr <= 0;
        end else if (accept) begin
            c <= pix_end ? 0 : c + 1'b1;
            if (pix_end) begin
                x  <= row_end ? 0 : x + 1'b1;
                kx <= (row_end || kx == KK - 1) ? 0 : kx + 1'b1;
            end
            if (row_end) begin
                y  <= frm_end ? 0 : y + 1'b1;
                ky <= (frm_end || ky == KK - 1) ? 0 : ky + 1'b1;
            end
            if (row_end)                      addr <= 0;
            else if (!pix_end || kx == KK - 1) addr <= addr + 1'b1;        // next word / next window
            else                              addr <= addr - (CF - 1);     // same window, next pixel
        end
    end

    // ---- row buffer of partial maxima and the element-wise maximum ---------------------------
    wire [WW-1:0] acc;                                   // the window's maximum so far, this word included
    generate
        if (KK == 1) begin : g_pass                      // every word is a window of its own
            assign acc = s_axis_tdata;
        end else begin : g_pool
            reg  [WW-1:0] rowbuf [0:DEPTH-1];
            wire [WW-1:0] old = rowbuf[addr];            // partial maximum of this window and chunk
            wire [WW-1:0] mx;                            // max(old, input word), element by element
            assign acc = first ? s_axis_tdata : mx;
            always @(posedge clk) begin
                if (accept && in_cols && !last) rowbuf[addr] <= acc;
            end
            if (EW == 1) begin : g_or                    // bipolar or binary codes: max is OR
                assign mx = old | s_axis_tdata;
            end else begin : g_cmp
                genvar j;
                for (j = 0; j < PE; j = j + 1) begin : g_elem
                    wire [EW-1:0] a = old[j*EW +: EW];
                    wire [EW-1:0] b = s_axis_tdata[j*EW +: EW];
                    wire a_gt = SIGNED_ELEMS ? ($signed(a) > $signed(b)) : (a > b);
                    assign mx[j*EW +: EW] = a_gt ? a : b;
                end
            end
        end
    endgenerate

    // ---- output queue: two words, head in q0 (m_axis_tready moves only the queue) -------------
    reg  [WW-1:0] q0, q1;
    wire          pop  = m_axis_tvalid && m_axis_tready;
    wire [1:0]    slot = q_n - {1'b0, pop};              // where a pushed word lands
    assign m_axis_tvalid = (q_n != 2'd0);
    assign m_axis_tdata  = q0;
    always @(posedge clk) begin
        if (pop) q0 <= q1;
        if (push && slot == 2'd0) q0 <= acc;
        if (push && slot == 2'd1) q1 <= acc;
    end
    always @(posedge clk) begin
        if (rst) q_n <= 2'd0;
        else     q_n <= q_n + {1'b0, push} - {1'b0, pop};
    end
endmodule
