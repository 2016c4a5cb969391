// sbn_thresh.h: streaming multi-threshold unit (the input quantizer of Brevitas bnn_pynq models),
// the HLS twin of rtl/sbn_thresh.v.
//
// A frame streams PE elements per beat (element j at bits [j*IN_BITS +: IN_BITS], two's complement
// when IN_SIGNED, else unsigned). Element i of a frame belongs to channel i mod C; each channel has
// NT ascending thresholds. Every element x becomes
//   y = OUT_BIAS + count_k (x >= T[c][k])
// written as its low OUT_BITS bits (two's complement when OUT_BIAS < 0, unsigned otherwise), PE per
// beat in the same order. PE divides C (or C == 1: one row for every element), so beat b uses
// thresholds[b mod CH_WORDS], CH_WORDS = C/PE (1 when C == 1):
//   thresholds[w][j][k] = T[w*PE + j][k]   (T[0][k] for every j when C == 1)
// the same values as the RTL memory image (word w, bits [(j*NT + k)*TH_BITS +: TH_BITS]).
// The compare is exact: x and T are sign-extended to max(IN_BITS+1, TH_BITS) bits.
#ifndef SBN_THRESH_H
#define SBN_THRESH_H

#include "sbn_common.h"

// Bits of an unsigned number n (0 for 0): the width of a count 0..NT is sbn_thresh_bits(NT).
constexpr int sbn_thresh_bits(unsigned n) { return n == 0 ? 0 : 1 + sbn_thresh_bits(n >> 1); }

// IN_BITS:   bits per input element.       IN_SIGNED: input elements are two's complement.
// PE:        elements per beat (in and out); divides C, or C == 1.
// CH_WORDS:  threshold words: C / PE, or 1 when C == 1.
// NT:        thresholds per channel (>= 1). TH_BITS:  two's complement threshold width.
// OUT_BITS:  bits per output element.      OUT_BIAS:  added to every count (may be negative).
// beats:     beats to process before returning (frames * beats per frame); the threshold word
//            counter restarts at 0 on every call, so a call covers whole frames.
template <int IN_BITS, bool IN_SIGNED, int PE, int CH_WORDS, int NT, int TH_BITS, int OUT_BITS, int OUT_BIAS>
void sbn_thresh(hls::stream<ap_uint<PE * IN_BITS> >& in, hls::stream<ap_uint<PE * OUT_BITS> >& out,
                const ap_int<TH_BITS> thresholds[CH_WORDS][PE][NT], unsigned beats) {
#pragma HLS ARRAY_PARTITION variable=thresholds complete dim=2
#pragma HLS ARRAY_PARTITION variable=thresholds complete dim=3
    const int CMP_W = (IN_BITS + 1 > TH_BITS) ? IN_BITS + 1 : TH_BITS;
    const int CNT_W = sbn_thresh_bits(NT) + 1;  // signed, as sbn_popcount returns it
    unsigned w = 0;
    for (unsigned b = 0; b < beats; b++) {
#pragma HLS PIPELINE II=1
        ap_uint<PE * IN_BITS> x = in.read();
        ap_uint<PE * OUT_BITS> y = 0;
        for (int j = 0; j < PE; j++) {
#pragma HLS UNROLL
            ap_uint<IN_BITS> raw = x.range(j * IN_BITS + IN_BITS - 1, j * IN_BITS);
            // Same bits as a signed IN_BITS value when IN_SIGNED, else zero-extended; then widened.
            ap_int<CMP_W> v = IN_SIGNED ? ap_int<CMP_W>(ap_int<IN_BITS>(raw)) : ap_int<CMP_W>(raw);
            ap_uint<NT> ge = 0;
            for (int k = 0; k < NT; k++) {
#pragma HLS UNROLL
                ge[k] = v >= ap_int<CMP_W>(thresholds[w][j][k]);
            }
            ap_int<OUT_BITS> r = OUT_BIAS + (int)sbn_popcount<NT, CNT_W>(ge);  // the low OUT_BITS bits
            y.range(j * OUT_BITS + OUT_BITS - 1, j * OUT_BITS) = r.range(OUT_BITS - 1, 0);
        }
        out.write(y);
        w = (w == (unsigned)(CH_WORDS - 1)) ? 0 : w + 1;
    }
}

#endif
