// sbn_dot.h: one processing element's share of one input beat: SIMD inputs times SIMD weight bits.
//
// Modes (sbn_common.h, docs/ENCODINGS.md), with x the beat and w one PE's weight bits:
//   INT:     sum over s of (w[s] ? x[s] : -x[s])        x[s] an IN_BITS-bit integer
//   XNOR:    popcount(~(x ^ w))                          one bit per input
//   AND_ACT: 2*popcount(x & w) - popcount(x)             popcount(x) computed once per beat by the caller
//   AND_W:   popcount(x & w)                              the per-output popcount(w) lives in the thresholds
#ifndef SBN_DOT_H
#define SBN_DOT_H

#include "sbn_common.h"

// MODE:      SBN_MODE_INT / _XNOR / _AND_ACT / _AND_W.
// SIMD:      inputs in one beat.
// IN_BITS:   bits per input element (1 in the three bit modes).
// IN_SIGNED: INT mode only: elements are two's complement (else unsigned).
// ACC_W:     signed width of the result, wide enough for the layer's whole accumulator.
template <unsigned MODE, unsigned SIMD, unsigned IN_BITS, bool IN_SIGNED, unsigned ACC_W>
ap_int<ACC_W> sbn_simd_dot(ap_uint<SIMD * IN_BITS> x, ap_uint<SIMD> w, ap_int<ACC_W> x_ones) {
#pragma HLS INLINE
    if (MODE == SBN_MODE_INT) {
        ap_int<ACC_W> sum = 0;
        for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
            ap_uint<IN_BITS> raw = x.range(s * IN_BITS + IN_BITS - 1, s * IN_BITS);
            // One extra bit so that -x fits for every x of the input type.
            ap_int<IN_BITS + 1> v = IN_SIGNED ? (ap_int<IN_BITS + 1>)(ap_int<IN_BITS>)raw : (ap_int<IN_BITS + 1>)raw;
            ap_int<IN_BITS + 1> neg = -v;
            sum += w[s] ? v : neg;
        }
        return sum;
    }
    ap_uint<SIMD> bits = x;  // the bit modes carry one bit per input
    if (MODE == SBN_MODE_XNOR) {
        ap_uint<SIMD> lanes = ~(bits ^ w);
        return sbn_popcount<SIMD, ACC_W>(lanes);
    }
    ap_uint<SIMD> lanes = bits & w;
    ap_int<ACC_W> count = sbn_popcount<SIMD, ACC_W>(lanes);
    if (MODE == SBN_MODE_AND_ACT) {
        return (ap_int<ACC_W>)(2 * count - x_ones);
    }
    return count;  // SBN_MODE_AND_W
}

#endif
