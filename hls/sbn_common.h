// sbn_common.h: types and helpers shared by the sbn-hw HLS kernels.
//
// The kernels are written for Vitis HLS (ap_uint/ap_int, hls::stream, #pragma HLS) and compile
// unchanged with g++ against the open-source ap_int.h / hls_stream.h for C simulation; g++ ignores
// the pragmas. Stream words follow the RTL backend: element j of a beat at bits [j*EW +: EW].
#ifndef SBN_COMMON_H
#define SBN_COMMON_H

#include <ap_int.h>
#include <hls_stream.h>

// How a layer multiplies (docs/ENCODINGS.md); the same numbers as rtl/sbn_mvau.v's MODE.
#define SBN_MODE_INT 0      // integer act x bipolar weight: sum(w ? x : -x)
#define SBN_MODE_XNOR 1     // bipolar x bipolar: popcount(XNOR(a, w))
#define SBN_MODE_AND_ACT 2  // binary {0,1} act x bipolar weight: 2*popcount(a AND w) - popcount(a)
#define SBN_MODE_AND_W 3    // bipolar act x binary {0,1} weight: popcount(a AND w)

// Number of one bits in an N-bit word, as a W-bit signed sum (an unrolled adder tree in hardware).
// N: word width in bits. W: width of the result; the caller makes it wide enough for N.
template <unsigned N, unsigned W>
ap_int<W> sbn_popcount(ap_uint<N> word) {
#pragma HLS INLINE
    ap_int<W> count = 0;
    for (unsigned i = 0; i < N; i++) {
#pragma HLS UNROLL
        count += (ap_int<W>)word[i];
    }
    return count;
}

#endif
