// Frame counter and TLAST generator for an AXI-Stream.
//
// Passes the stream through unchanged (no register, no added latency: tready and tvalid are
// wires) and counts handshakes: a frame is WORDS_PER_FRAME words, a transfer is
// `frames_per_transfer` frames. m_axis_tlast marks the last word of every transfer, which is where
// a DMA's stream-to-memory channel (AXI DMA S2MM) ends a buffer. The count is taken at the frame
// boundary, so changing frames_per_transfer mid-transfer ends the transfer at the next frame
// boundary that reaches the new count; 0 acts as 1.
module sbn_axis_tlast #(
    parameter integer WIDTH = 8,             // tdata width in bits
    parameter integer WORDS_PER_FRAME = 4,   // stream words in one frame (>= 1)
    parameter integer COUNT_BITS = 32        // width of the frames-per-transfer count
) (
    input  wire clk,
    input  wire rst,                         // synchronous, active high: restart at a frame start

    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,

    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,

    input  wire [COUNT_BITS-1:0] frames_per_transfer,
    output wire             frame_done,      // one cycle: the last word of a frame was taken
    output wire             transfer_done,   // one cycle: a word with TLAST was taken
    output wire             frame_open,      // some but not all words of a frame have passed
    output wire             transfer_open    // some but not all frames of a transfer have passed
);
    localparam integer WORD_BITS = (WORDS_PER_FRAME > 1) ? $clog2(WORDS_PER_FRAME) : 1;

    reg [WORD_BITS-1:0]  word;   // words of the current frame already taken
    reg [COUNT_BITS-1:0] frame;  // frames of the current transfer already completed

    wire take = s_axis_tvalid && m_axis_tready;
    wire last_word = (word == WORDS_PER_FRAME - 1);
    // frame + 1 >= frames_per_transfer, written without overflow at the top of the range.
    wire last_frame = (frame >= frames_per_transfer - 1) || (frames_per_transfer == 0);

    assign m_axis_tdata  = s_axis_tdata;
    assign m_axis_tvalid = s_axis_tvalid;
    assign s_axis_tready = m_axis_tready;
    assign m_axis_tlast  = last_word && last_frame;

    assign frame_done    = take && last_word;
    assign transfer_done = take && m_axis_tlast;
    assign frame_open    = (word != 0);
    assign transfer_open = (frame != 0) || (word != 0);

    always @(posedge clk) begin
        if (rst) begin
            word <= 0;
            frame <= 0;
        end else if (take) begin
            word <= last_word ? {WORD_BITS{1'b0}} : word + 1'b1;
            if (last_word)
                frame <= last_frame ? {COUNT_BITS{1'b0}} : frame + 1'b1;
        end
    end
endmodule
