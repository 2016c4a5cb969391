// AXI4-Lite control/status registers of an sbn-hw accelerator shell.
//
// Read-only identity registers let a driver check that a bitfile matches the accelerator
// description it holds (magic, interface version, a hash of the description, stream widths and
// words per frame); read/write registers set the frames per output transfer (TLAST placement)
// and hold a datapath reset; counters tell how many frames went in and out. Byte offsets (the one
// list on the Python side is sbn_hw/rtlgen/shell.py REGISTERS):
//   0x00 MAGIC          RO  0x53424E31 ("SBN1")
//   0x04 VERSION        RO  register-map version, major << 16 | minor
//   0x08 DESC_HASH      RO  hash of the accelerator description (sbn_hw.rtlgen.shell.description_hash)
//   0x0C IN_WIDTH       RO  [15:0] s_axis tdata bits, [31:16] of them used by the accelerator
//   0x10 OUT_WIDTH      RO  [15:0] m_axis tdata bits, [31:16] of them driven by the accelerator
//   0x14 IN_WORDS       RO  input stream words per frame
//   0x18 OUT_WORDS      RO  output stream words per frame
//   0x1C CYCLES         RO  analytic cycles per frame (initiation interval)
//   0x20 CONTROL        RW  bit0: clear counters (write 1; reads 0), bit1: hold datapath in reset
//   0x24 FRAMES_PER_XFER RW output frames per TLAST (reset 1; 0 acts as 1)
//   0x28 STATUS         RO  bit0 idle, bit1 input frame partly in, bit2 output frame partly out,
//                           bit3 output transfer open (TLAST still due), bit4 datapath in reset
//   0x2C FRAMES_IN      RO  input frames completed
//   0x30 FRAMES_OUT     RO  output frames completed
//   0x34 TRANSFERS_OUT  RO  output words sent with TLAST
//   0x38 ACTIVE_CYCLES  RO  clock cycles in which the accelerator was not idle
// Other offsets read 0 and ignore writes; every response is OKAY (a driver's stray access does
// not raise a bus error on the PS). Counters wrap at 2^32.
module sbn_axil_ctrl #(
    parameter integer ADDR_WIDTH = 6,            // byte address bits (>= 6: 16 registers of 32 bits)
    parameter [31:0] VERSION = 32'h0001_0000,    // register-map version
    parameter [31:0] DESC_HASH = 32'h0,          // hash of the accelerator description
    parameter integer IN_WIDTH = 8,              // s_axis tdata width (bytes multiple, for DMA)
    parameter integer IN_BITS = 8,               // bits of it the accelerator takes
    parameter integer OUT_WIDTH = 8,             // m_axis tdata width
    parameter integer OUT_BITS = 8,              // bits of it the accelerator drives
    parameter integer IN_WORDS = 1,              // input words per frame
    parameter integer OUT_WORDS = 1,             // output words per frame
    parameter integer CYCLES = 1                 // analytic cycles per frame
) (
    input  wire clk,
    input  wire rst,                             // synchronous, active high (resets registers too)

    input  wire [ADDR_WIDTH-1:0] s_axi_awaddr,
    input  wire                  s_axi_awvalid,
    output wire                  s_axi_awready,
    input  wire [31:0]           s_axi_wdata,
    input  wire [3:0]            s_axi_wstrb,
    input  wire                  s_axi_wvalid,
    output wire                  s_axi_wready,
    output wire [1:0]            s_axi_bresp,
    output reg                   s_axi_bvalid,
    input  wire                  s_axi_bready,
    input  wire [ADDR_WIDTH-1:0] s_axi_araddr,
    input  wire                  s_axi_arvalid,
    output wire                  s_axi_arready,
    output reg  [31:0]           s_axi_rdata,
    output wire [1:0]            s_axi_rresp,
    output reg                   s_axi_rvalid,
    input  wire                  s_axi_rready,

    // From the stream counters (sbn_axis_tlast on each side).
    input  wire in_frame_done,                   // one cycle per input frame completed
    input  wire out_frame_done,                  // one cycle per output frame completed
    input  wire out_transfer_done,               // one cycle per TLAST word sent
    input  wire in_frame_open,
    input  wire out_frame_open,
    input  wire out_transfer_open,

    output reg  [31:0] frames_per_transfer,
    output wire        datapath_reset            // hold the accelerator and counters in reset
);
    localparam [31:0] MAGIC = 32'h5342_4E31;
    // Register word indices (byte offset / 4).
    localparam [ADDR_WIDTH-3:0] R_MAGIC = 0;
    localparam [ADDR_WIDTH-3:0] R_VERSION = 1;
    localparam [ADDR_WIDTH-3:0] R_DESC_HASH = 2;
    localparam [ADDR_WIDTH-3:0] R_IN_WIDTH = 3;
    localparam [ADDR_WIDTH-3:0] R_OUT_WIDTH = 4;
    localparam [ADDR_WIDTH-3:0] R_IN_WORDS = 5;
    localparam [ADDR_WIDTH-3:0] R_OUT_WORDS = 6;
    localparam [ADDR_WIDTH-3:0] R_CYCLES = 7;
    localparam [ADDR_WIDTH-3:0] R_CONTROL = 8;
    localparam [ADDR_WIDTH-3:0] R_FRAMES_PER_XFER = 9;
    localparam [ADDR_WIDTH-3:0] R_STATUS = 10;
    localparam [ADDR_WIDTH-3:0] R_FRAMES_IN = 11;
    localparam [ADDR_WIDTH-3:0] R_FRAMES_OUT = 12;
    localparam [ADDR_WIDTH-3:0] R_TRANSFERS_OUT = 13;
    localparam [ADDR_WIDTH-3:0] R_ACTIVE_CYCLES = 14;

    // ---- write channel: take address and data in either order, answer once both are in.
    reg                  aw_full, w_full;
    reg [ADDR_WIDTH-1:0] aw_addr;
    reg [31:0]           w_data;
    reg [3:0]            w_strb;
    assign s_axi_awready = !aw_full;
    assign s_axi_wready  = !w_full;
    assign s_axi_bresp   = 2'b00;
    wire do_write = aw_full && w_full && !s_axi_bvalid;

    // ---- read channel: one read in flight; the address is taken when no response is pending.
    assign s_axi_arready = !s_axi_rvalid;
    assign s_axi_rresp   = 2'b00;

    reg        hold_reset;
    reg [31:0] frames_in, frames_out, transfers_out, active_cycles;
    assign datapath_reset = hold_reset;

    wire idle = (frames_in == frames_out) && !in_frame_open && !out_frame_open && !out_transfer_open;
    wire [31:0] status = {27'b0, hold_reset, out_transfer_open, out_frame_open, in_frame_open, idle};

    function [31:0] merge(input [31:0] old, input [31:0] data, input [3:0] strb);
        integer b;
        begin
            for (b = 0; b < 4; b = b + 1)
                merge[8*b +: 8] = strb[b] ? data[8*b +: 8] : old[8*b +: 8];
        end
    endfunction

    wire clear = do_write && aw_addr[ADDR_WIDTH-1:2] == R_CONTROL && w_strb[0] && w_data[0];

    always @(posedge clk) begin
        if (rst) begin
            aw_full <= 0;
            w_full <= 0;
            s_axi_bvalid <= 0;
            hold_reset <= 0;
            frames_per_transfer <= 1;
        end else begin
            if (s_axi_awvalid && s_axi_awready) begin
                aw_full <= 1;
                aw_addr <= s_axi_awaddr;
            end
            if (s_axi_wvalid && s_axi_wready) begin
                w_full <= 1;
                w_data <= s_axi_wdata;
                w_strb <= s_axi_wstrb;
            end
            if (do_write) begin
                aw_full <= 0;
                w_full <= 0;
                s_axi_bvalid <= 1;
                case (aw_addr[ADDR_WIDTH-1:2])
                    R_CONTROL: if (w_strb[0]) hold_reset <= w_data[1];
                    R_FRAMES_PER_XFER: frames_per_transfer <= merge(frames_per_transfer, w_data, w_strb);
                    default: ;
                endcase
            end
            if (s_axi_bvalid && s_axi_bready)
                s_axi_bvalid <= 0;
        end
    end

    // Counters: reset with the registers, by the datapath reset, or by CONTROL bit0.
    always @(posedge clk) begin
        if (rst || hold_reset || clear) begin
            frames_in <= 0;
            frames_out <= 0;
            transfers_out <= 0;
            active_cycles <= 0;
        end else begin
            frames_in <= frames_in + in_frame_done;
            frames_out <= frames_out + out_frame_done;
            transfers_out <= transfers_out + out_transfer_done;
            active_cycles <= active_cycles + !idle;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            s_axi_rvalid <= 0;
            s_axi_rdata <= 0;
        end else if (s_axi_arvalid && s_axi_arready) begin
            s_axi_rvalid <= 1;
            case (s_axi_araddr[ADDR_WIDTH-1:2])
                R_MAGIC: s_axi_rdata <= MAGIC;
                R_VERSION: s_axi_rdata <= VERSION;
                R_DESC_HASH: s_axi_rdata <= DESC_HASH;
                R_IN_WIDTH: s_axi_rdata <= (IN_BITS << 16) | IN_WIDTH;
                R_OUT_WIDTH: s_axi_rdata <= (OUT_BITS << 16) | OUT_WIDTH;
                R_IN_WORDS: s_axi_rdata <= IN_WORDS;
                R_OUT_WORDS: s_axi_rdata <= OUT_WORDS;
                R_CYCLES: s_axi_rdata <= CYCLES;
                R_CONTROL: s_axi_rdata <= {30'b0, hold_reset, 1'b0};
                R_FRAMES_PER_XFER: s_axi_rdata <= frames_per_transfer;
                R_STATUS: s_axi_rdata <= status;
                R_FRAMES_IN: s_axi_rdata <= frames_in;
                R_FRAMES_OUT: s_axi_rdata <= frames_out;
                R_TRANSFERS_OUT: s_axi_rdata <= transfers_out;
                R_ACTIVE_CYCLES: s_axi_rdata <= active_cycles;
                default:    s_axi_rdata <= 0;
            endcase
        end else if (s_axi_rvalid && s_axi_rready) begin
            s_axi_rvalid <= 0;
        end
    end
endmodule
