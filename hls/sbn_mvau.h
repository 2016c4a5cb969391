// sbn_mvau.h: folded matrix-vector-threshold unit, the HLS twin of rtl/sbn_mvau.v.
//
// For each of MH outputs o, an accumulator over MW inputs (the mode's arithmetic: sbn_dot.h), then
//   sbn_mvau_threshold: one bit per output, (acc >= T_o), or (acc <= T_o) where the output's LE flag is set;
//   sbn_mvau_integer:   the accumulator itself, ACC_BITS two's complement bits per output (last layer).
//
// Folding: PE outputs and SIMD inputs per cycle, so one vector takes (MW/SIMD)*(MH/PE) cycles at II=1.
// A vector arrives as MW/SIMD beats of SIMD elements and is kept in a buffer for the MH/PE output
// rows; outputs leave as MH/PE beats of PE elements (element p at bits [p*OUT_BITS +: OUT_BITS]).
// Memories have the RTL backend's layout (sbn_hw/rtlgen/generate.py), so both read the same images:
//   weights[nf*SF + sf] bit (p*SIMD + s)          = weight[nf*PE + p][sf*SIMD + s]
//   thresholds[nf] bits [p*(TH_BITS+1) +: TH_BITS] = T of output nf*PE + p, bit p*(TH_BITS+1)+TH_BITS = LE
#ifndef SBN_MVAU_H
#define SBN_MVAU_H

#include "sbn_common.h"
#include "sbn_dot.h"

// Add one input beat to the PE accumulators of the current output row (restarting at the row's
// first beat). Template parameters as in sbn_mvau_threshold below; ACC_W = ACC_BITS + 1.
template <unsigned PE, unsigned SIMD, unsigned MODE, unsigned IN_BITS, bool IN_SIGNED, unsigned ACC_W>
void sbn_mvau_accumulate(ap_uint<SIMD * IN_BITS> x, ap_uint<PE * SIMD> w, bool first, ap_int<ACC_W> acc[PE]) {
#pragma HLS INLINE
    // popcount(x) is shared by all PEs: only AND_ACT needs it.
    ap_uint<SIMD> bits = x;
    ap_int<ACC_W> x_ones = (MODE == SBN_MODE_AND_ACT) ? sbn_popcount<SIMD, ACC_W>(bits) : ap_int<ACC_W>(0);
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
        ap_uint<SIMD> wp = w.range(p * SIMD + SIMD - 1, p * SIMD);
        ap_int<ACC_W> partial = sbn_simd_dot<MODE, SIMD, IN_BITS, IN_SIGNED, ACC_W>(x, wp, x_ones);
        acc[p] = (first ? ap_int<ACC_W>(0) : acc[p]) + partial;
    }
}

// The row's input beat: from the stream on the first row (kept in ibuf), from ibuf on later rows.
// SF: beats per vector. W: bits per beat.
template <unsigned SF, unsigned W>
ap_uint<W> sbn_mvau_input(hls::stream<ap_uint<W> >& in, ap_uint<W> ibuf[SF], unsigned nf, unsigned sf) {
#pragma HLS INLINE
    if (nf == 0) {
        ap_uint<W> x = in.read();
        ibuf[sf] = x;
        return x;
    }
    return ibuf[sf];
}

// Threshold output: one bit per output.
// MW:        inputs per vector.            MH:       outputs per vector.
// PE:        outputs in parallel (divides MH).  SIMD: inputs per beat (divides MW).
// MODE:      SBN_MODE_* (sbn_common.h).    IN_BITS:  bits per input element (1 unless INT).
// IN_SIGNED: INT inputs are two's complement.
// ACC_BITS:  accumulator width of the layer (unsigned for XNOR/AND_W, two's complement for INT/AND_ACT).
// TH_BITS:   two's complement threshold width.
// reps:      vectors (frames) to process before returning.
template <unsigned MW, unsigned MH, unsigned PE, unsigned SIMD, unsigned MODE, unsigned IN_BITS, bool IN_SIGNED,
          unsigned ACC_BITS, unsigned TH_BITS>
void sbn_mvau_threshold(hls::stream<ap_uint<SIMD * IN_BITS> >& in, hls::stream<ap_uint<PE> >& out,
                        const ap_uint<PE * SIMD> weights[(MH / PE) * (MW / SIMD)],
                        const ap_uint<PE*(TH_BITS + 1)> thresholds[MH / PE], unsigned reps) {
    const unsigned SF = MW / SIMD, NF = MH / PE, TE = TH_BITS + 1;
    ap_uint<SIMD * IN_BITS> ibuf[SF];
    ap_int<ACC_BITS + 1> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    for (unsigned r = 0; r < reps; r++) {
        unsigned sf = 0, nf = 0;
        // One flat loop over the (row, beat) pairs of a vector: one weight word per cycle.
        for (unsigned i = 0; i < NF * SF; i++) {
#pragma HLS PIPELINE II=1
            ap_uint<SIMD * IN_BITS> x = sbn_mvau_input<SF, SIMD * IN_BITS>(in, ibuf, nf, sf);
            sbn_mvau_accumulate<PE, SIMD, MODE, IN_BITS, IN_SIGNED, ACC_BITS + 1>(x, weights[i], sf == 0, acc);
            if (sf == SF - 1) {
                ap_uint<PE * TE> entry = thresholds[nf];
                ap_uint<PE> word = 0;
                for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    ap_int<TH_BITS> t = entry.range(p * TE + TH_BITS - 1, p * TE);
                    bool le = entry[p * TE + TH_BITS];
                    word[p] = le ? (acc[p] <= t) : (acc[p] >= t);
                }
                out.write(word);
                sf = 0;
                nf++;
            } else {
                sf++;
            }
        }
    }
}

// Integer output (the last layer): each output's accumulator as ACC_BITS two's complement bits.
// Template parameters and reps as sbn_mvau_threshold (no thresholds).
template <unsigned MW, unsigned MH, unsigned PE, unsigned SIMD, unsigned MODE, unsigned IN_BITS, bool IN_SIGNED,
          unsigned ACC_BITS>
void sbn_mvau_integer(hls::stream<ap_uint<SIMD * IN_BITS> >& in, hls::stream<ap_uint<PE * ACC_BITS> >& out,
                      const ap_uint<PE * SIMD> weights[(MH / PE) * (MW / SIMD)], unsigned reps) {
    const unsigned SF = MW / SIMD, NF = MH / PE;
    ap_uint<SIMD * IN_BITS> ibuf[SF];
    ap_int<ACC_BITS + 1> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    for (unsigned r = 0; r < reps; r++) {
        unsigned sf = 0, nf = 0;
        for (unsigned i = 0; i < NF * SF; i++) {
#pragma HLS PIPELINE II=1
            ap_uint<SIMD * IN_BITS> x = sbn_mvau_input<SF, SIMD * IN_BITS>(in, ibuf, nf, sf);
            sbn_mvau_accumulate<PE, SIMD, MODE, IN_BITS, IN_SIGNED, ACC_BITS + 1>(x, weights[i], sf == 0, acc);
            if (sf == SF - 1) {
                ap_uint<PE * ACC_BITS> word = 0;
                for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
                    word.range(p * ACC_BITS + ACC_BITS - 1, p * ACC_BITS) = acc[p].range(ACC_BITS - 1, 0);
                }
                out.write(word);
                sf = 0;
                nf++;
            } else {
                sf++;
            }
        }
    }
}

#endif
