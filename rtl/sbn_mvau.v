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
// Pipeline: issue (counters, synchronous weight/threshold/buffer reads) -> execute (adder tree,
// accumulate, compare). Weights and thresholds are initialised read-only memories (sbn_mvau_rom
// below); WEIGHT_RAM_STYLE / THRESH_RAM_STYLE pick how each is built (block RAM, LUTs, logic).
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
    parameter WEIGHT_FILE = "",   // $readmemh: (MH/PE)*(MW/SIMD) words of PE*SIMD bits (required)
    parameter THRESH_FILE = "",   // $readmemh: MH/PE words of PE*(TH_BITS+1) bits {le, T} (if HAS_THRESH)
    parameter WEIGHT_RAM_STYLE = "auto",  // weight memory: "auto" | "block" | "distributed" | "logic" (sbn_mvau_rom)
    parameter THRESH_RAM_STYLE = "auto"   // threshold memory: the same choices
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

    // Input buffer (the first row's input, re-read for the later rows); weights and thresholds are
    // read-only memories initialised from files written by the generator (read in the issue stage).
    reg [SIMD*IN_BITS-1:0] ibuf [0:SF-1];

    // ---- issue stage ------------------------------------------------------------------------
    reg  [SF_W-1:0] sf;
    reg  [NF_W-1:0] nf;
    reg  [WA_W-1:0] waddr;
    reg             b_valid, b_first, b_last, b_from_stream;
    reg  [SIMD*IN_BITS-1:0] b_stream, b_buf;
    wire [PE*SIMD-1:0]      b_w;     // registered reads of the weight / threshold memories
    wire [PE*TE_BITS-1:0]   b_th;
    reg             o_valid;
    reg  [PE*OUT_BITS-1:0]  o_data;

    // Execute stalls only when it would finish a row while the output register is still full.
    wire b_stall     = b_valid && b_last && o_valid && !m_axis_tready;
    wire from_stream = (nf == 0);                        // first row reads the stream, later rows the buffer
    wire issue       = !rst && !b_stall && (from_stream ? s_axis_tvalid : 1'b1);
    assign s_axis_tready = !rst && !b_stall && from_stream;

    always @(posedge clk) begin
        if (issue && from_stream) ibuf[sf] <= s_axis_tdata;
    end
    always @(posedge clk) begin
        if (issue) begin
            b_buf    <= ibuf[sf];
            b_stream <= s_axis_tdata;
        end
    end
    sbn_mvau_rom #(.DEPTH(SF * NF), .WIDTH(PE * SIMD), .ADDR_W(WA_W), .FILE(WEIGHT_FILE), .STYLE(WEIGHT_RAM_STYLE))
        u_wmem (.clk(clk), .en(issue), .addr(waddr), .data(b_w));
    generate if (HAS_THRESH) begin : g_tmem
        sbn_mvau_rom #(.DEPTH(NF), .WIDTH(PE * TE_BITS), .ADDR_W(NF_W), .FILE(THRESH_FILE), .STYLE(THRESH_RAM_STYLE))
            u_tmem (.clk(clk), .en(issue), .addr(nf), .data(b_th));
    end else begin : g_no_tmem
        assign b_th = {PE*TE_BITS{1'b0}};
    end endgenerate
    always @(posedge clk) begin
        if (rst) begin
            sf <= 0; nf <= 0; waddr <= 0; b_valid <= 1'b0;
            b_first <= 1'b0; b_last <= 1'b0; b_from_stream <= 1'b0;
        end else if (issue) begin
            b_valid       <= 1'b1;
            b_first       <= (sf == 0);
            b_last        <= (sf == SF - 1);
            b_from_stream <= from_stream;
            if (sf == SF - 1) begin
                sf <= 0;
                nf <= (nf == NF - 1) ? 0 : nf + 1'b1;
            end else begin
                sf <= sf + 1'b1;
            end
            waddr <= (waddr == SF * NF - 1) ? 0 : waddr + 1'b1;
        end else if (!b_stall) begin
            b_valid <= 1'b0;
        end
    end

    // ---- execute stage ----------------------------------------------------------------------
    // Per PE, the SIMD products are summed by a balanced adder tree (rtl/sbn_adder_tree.v).
    // Integer mode: leaves are w ? x : -x (x widened by one bit so that -x always fits).
    // (Measured with Yosys: gating, 2*sum(w ? x : 0) - sum(x), costs more LUTs than add/sub leaves.)
    localparam X_W = IN_BITS + 1;
    wire [SIMD*IN_BITS-1:0] b_in = b_from_stream ? b_stream : b_buf;
    wire [PE*ACC_W-1:0] partial;
    wire [ACC_W-1:0]    x_ones;   // popcount of the input bits (and_act correction, shared by all PEs)
    genvar gp, gi;
    generate
        if (MODE == 2) begin : g_x_ones
            sbn_adder_tree #(.N(SIMD), .IN_W(1), .OUT_W(ACC_W), .SIGNED(0)) u_ones (
                .in_data(b_in[SIMD-1:0]), .sum(x_ones));
        end else begin : g_no_x_ones
            assign x_ones = {ACC_W{1'b0}};
        end
        for (gp = 0; gp < PE; gp = gp + 1) begin : g_pe
            if (MODE == 0) begin : g_int
                wire [SIMD*X_W-1:0] prod;
                for (gi = 0; gi < SIMD; gi = gi + 1) begin : g_prod
                    wire [X_W-1:0] x = {IN_SIGNED ? b_in[gi*IN_BITS+IN_BITS-1] : 1'b0, b_in[gi*IN_BITS +: IN_BITS]};
                    assign prod[gi*X_W +: X_W] = b_w[gp*SIMD+gi] ? x : (~x + 1'b1);
                end
                sbn_adder_tree #(.N(SIMD), .IN_W(X_W), .OUT_W(ACC_W), .SIGNED(1)) u_sum (
                    .in_data(prod), .sum(partial[gp*ACC_W +: ACC_W]));
            end else begin : g_bits
                // One bit per lane: XNOR (mode 1) or AND (modes 2, 3), then popcount.
                wire [SIMD-1:0] lane = (MODE == 1) ? ~(b_in[SIMD-1:0] ^ b_w[gp*SIMD +: SIMD])
                                                   :  (b_in[SIMD-1:0] & b_w[gp*SIMD +: SIMD]);
                wire [ACC_W-1:0] count;
                sbn_adder_tree #(.N(SIMD), .IN_W(1), .OUT_W(ACC_W), .SIGNED(0)) u_pop (.in_data(lane), .sum(count));
                assign partial[gp*ACC_W +: ACC_W] = (MODE == 2) ? (count << 1) - x_ones : count;
            end
        end
    endgenerate

    reg  [PE*ACC_W-1:0] acc_q;
    reg  [PE*ACC_W-1:0] acc_next;
    reg  [PE*OUT_BITS-1:0] result;
    reg  signed [ACC_W-1:0] sum;
    reg  signed [CMP_W-1:0] a_cmp, t_cmp;
    integer p;
    always @* begin
        for (p = 0; p < PE; p = p + 1) begin
            sum = (b_first ? {ACC_W{1'b0}} : acc_q[p*ACC_W +: ACC_W]) + partial[p*ACC_W +: ACC_W];
            acc_next[p*ACC_W +: ACC_W] = sum;
            if (HAS_THRESH) begin
                a_cmp = sum;
                t_cmp = $signed(b_th[p*TE_BITS +: TH_BITS]);
                result[p*OUT_BITS +: OUT_BITS] = b_th[p*TE_BITS+TH_BITS] ? (a_cmp <= t_cmp) : (a_cmp >= t_cmp);
            end else begin
                result[p*OUT_BITS +: OUT_BITS] = sum[OUT_BITS-1:0];
            end
        end
    end

    wire o_load = b_valid && b_last && !b_stall;
    always @(posedge clk) begin
        if (b_valid && !b_stall) acc_q <= acc_next;
    end
    always @(posedge clk) begin
        if (rst) begin
            o_valid <= 1'b0;
        end else if (o_load) begin
            o_valid <= 1'b1;
            o_data  <= result;
        end else if (m_axis_tready) begin
            o_valid <= 1'b0;
        end
    end
    assign m_axis_tvalid = o_valid;
    assign m_axis_tdata  = o_data;
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
