// sbn_dwc.h: stream width converter between IN_N and OUT_N elements of EW bits per beat, keeping
// element order (element j of a beat at bits [j*EW +: EW]); the HLS twin of rtl/axis_dwc.v.
// One of IN_N, OUT_N must divide the other (the accelerator description checks this).
#ifndef SBN_DWC_H
#define SBN_DWC_H

#include "sbn_common.h"

// Which of the three shapes a converter has; picks one implementation at compile time, so that
// the other shapes' loops (whose ratios would be zero) are never instantiated.
// UP: output beats are wider than input beats. DOWN: narrower. Neither: the same width.
template <bool UP, bool DOWN>
struct sbn_dwc_shape {};

// Same width: copy beats. in_beats: input beats to move before returning.
template <unsigned EW, unsigned IN_N, unsigned OUT_N>
void sbn_dwc_impl(hls::stream<ap_uint<IN_N * EW> >& in, hls::stream<ap_uint<OUT_N * EW> >& out, unsigned in_beats,
                  sbn_dwc_shape<false, false>) {
    for (unsigned i = 0; i < in_beats; i++) {
#pragma HLS PIPELINE II=1
        out.write(in.read());
    }
}

// Wider output: gather K = OUT_N/IN_N input beats into one output beat (first beat lowest).
template <unsigned EW, unsigned IN_N, unsigned OUT_N>
void sbn_dwc_impl(hls::stream<ap_uint<IN_N * EW> >& in, hls::stream<ap_uint<OUT_N * EW> >& out, unsigned in_beats,
                  sbn_dwc_shape<true, false>) {
    const unsigned K = OUT_N / IN_N, IN_W = IN_N * EW;
    ap_uint<OUT_N * EW> gather = 0;
    unsigned k = 0;
    for (unsigned i = 0; i < in_beats; i++) {
#pragma HLS PIPELINE II=1
        gather.range(k * IN_W + IN_W - 1, k * IN_W) = in.read();
        if (k == K - 1) {
            out.write(gather);
            k = 0;
        } else {
            k++;
        }
    }
}

// Narrower output: split each input beat into K = IN_N/OUT_N output beats (lowest first).
template <unsigned EW, unsigned IN_N, unsigned OUT_N>
void sbn_dwc_impl(hls::stream<ap_uint<IN_N * EW> >& in, hls::stream<ap_uint<OUT_N * EW> >& out, unsigned in_beats,
                  sbn_dwc_shape<false, true>) {
    const unsigned K = IN_N / OUT_N, OUT_W = OUT_N * EW;
    ap_uint<IN_N * EW> hold = 0;
    unsigned k = 0;
    // One output beat per iteration, so the loop runs at II=1 on the wider side's beats too.
    for (unsigned i = 0; i < in_beats * K; i++) {
#pragma HLS PIPELINE II=1
        if (k == 0) hold = in.read();
        out.write(hold.range(k * OUT_W + OUT_W - 1, k * OUT_W));
        k = (k == K - 1) ? 0 : k + 1;
    }
}

// EW:    bits per element.
// IN_N:  elements per input beat.
// OUT_N: elements per output beat.
// in_beats: input beats to convert before returning (a whole number of output beats).
template <unsigned EW, unsigned IN_N, unsigned OUT_N>
void sbn_dwc(hls::stream<ap_uint<IN_N * EW> >& in, hls::stream<ap_uint<OUT_N * EW> >& out, unsigned in_beats) {
    sbn_dwc_impl<EW, IN_N, OUT_N>(in, out, in_beats, sbn_dwc_shape<(OUT_N > IN_N), (OUT_N < IN_N)>());
}

#endif
