// sbn_tb_io.h: C-simulation helpers for the generated testbench: frames from a text file into
// stream beats, and stream beats back into one text line per frame. Not synthesised.
#ifndef SBN_TB_IO_H
#define SBN_TB_IO_H

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "sbn_common.h"

// Read "<frames> <features>" then frames*features integers. Returns the frame count, or -1 (with
// a message) when the file does not hold what the accelerator takes.
inline long sbn_tb_read_frames(const std::string& path, unsigned features, std::vector<long long>& values) {
    std::ifstream f(path.c_str());
    long frames = -1, width = -1;
    if (!(f >> frames >> width) || width != (long)features || frames < 0) {
        std::cerr << "ERROR: " << path << ": expected a header '<frames> " << features << "'\n";
        return -1;
    }
    values.resize((size_t)frames * features);
    for (size_t i = 0; i < values.size(); i++) {
        if (!(f >> values[i])) {
            std::cerr << "ERROR: " << path << ": only " << i << " of " << values.size() << " values\n";
            return -1;
        }
    }
    return frames;
}

// Pack values, N elements of EW bits per beat (element j at bits [j*EW +: EW]), into a stream.
// EW: bits per element. N: elements per beat (the values' count is a multiple of N).
template <unsigned EW, unsigned N>
void sbn_tb_feed(hls::stream<ap_uint<N * EW> >& s, const std::vector<long long>& values) {
    for (size_t i = 0; i < values.size(); i += N) {
        ap_uint<N * EW> word = 0;
        for (unsigned j = 0; j < N; j++) {
            ap_uint<EW> v = (ap_uint<EW>)(ap_int<64>)values[i + j];  // two's complement, EW low bits
            word.range(j * EW + EW - 1, j * EW) = v;
        }
        s.write(word);
    }
}

// Every beat left in a stream, unpacked into values. SIGNED: elements are two's complement.
template <unsigned EW, unsigned N, bool SIGNED>
std::vector<long long> sbn_tb_drain(hls::stream<ap_uint<N * EW> >& s) {
    std::vector<long long> values;
    while (!s.empty()) {
        ap_uint<N * EW> word = s.read();
        for (unsigned j = 0; j < N; j++) {
            ap_uint<EW> raw = word.range(j * EW + EW - 1, j * EW);
            values.push_back(SIGNED ? (long long)(ap_int<EW>)raw : (long long)raw.to_uint64());
        }
    }
    return values;
}

// Write frames*frame_len values, one line per frame. Returns 1 (with a message) on a wrong count,
// which would mean the kernel produced too few or too many beats.
inline int sbn_tb_write_frames(const std::string& path, const std::vector<long long>& values, unsigned frame_len,
                               long frames, const char* what) {
    if (values.size() != (size_t)frames * frame_len) {
        std::cerr << "ERROR: " << what << ": " << values.size() << " values, expected " << frames << " frames of "
                  << frame_len << "\n";
        return 1;
    }
    std::ofstream f(path.c_str());
    for (size_t i = 0; i < values.size(); i++) {
        f << values[i] << ((i + 1) % frame_len ? ' ' : '\n');
    }
    return f ? 0 : 1;
}

// A stream a kernel should have read to the end. Returns 1 (with a message) if beats are left.
// T: the stream's beat type.
template <typename T>
int sbn_tb_expect_empty(hls::stream<T>& s, const char* what) {
    if (s.empty()) return 0;
    std::cerr << "ERROR: " << what << ": " << s.size() << " beats left unread\n";
    return 1;
}

#endif
