"""The sliding-window golden functions (sbn_hw/golden/window.py) against torch's unfold and
explicit loops, and their error paths."""

import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.golden.executor import GoldenMismatch
from sbn_hw.golden.window import (
    check_window_stream,
    pack_words,
    sliding_window,
    sliding_window_words,
    swu_buffer_depth,
    window_output_shape,
    window_word_position,
)

# (N, H, W, C, K, STRIDE, EW)
SHAPES = [
    (2, 5, 5, 4, 3, 1, 1),
    (3, 6, 7, 8, 2, 2, 1),
    (2, 8, 8, 3, 3, 1, 8),
    (1, 10, 10, 64, 3, 1, 1),
    (2, 5, 6, 6, 1, 1, 2),
    (2, 3, 3, 16, 3, 1, 1),
    (2, 9, 11, 4, 3, 3, 1),
    (2, 8, 10, 2, 2, 3, 1),
    (1, 7, 4, 5, 4, 2, 4),
]


def rand_nhwc(n, h, w, c, ew, seed=0):
    return np.random.default_rng(seed).integers(0, 1 << ew, (n, h, w, c))


@pytest.mark.parametrize("n,h,w,c,k,s,ew", SHAPES)
def test_sliding_window_matches_torch_unfold(n, h, w, c, k, s, ew):
    x = rand_nhwc(n, h, w, c, ew, seed=h * w + c)
    oh, ow = window_output_shape(h, w, k, s)
    # unfold: NCHW -> (N, C*K*K, OH*OW) with rows in (c, ky, kx) order; ours is (ky, kx, c) per pixel.
    cols = torch.nn.functional.unfold(torch.from_numpy(x).permute(0, 3, 1, 2).double(), k, stride=s)
    want = cols.reshape(n, c, k, k, oh, ow).permute(0, 4, 5, 2, 3, 1).reshape(n, oh, ow, k * k * c)
    got = sliding_window(x, k, s)
    assert got.shape == (n, oh, ow, k * k * c)
    np.testing.assert_array_equal(got, want.numpy().astype(np.int64))
    # The output grid is the convolution's.
    conv = torch.nn.functional.conv2d(torch.zeros(1, c, h, w), torch.zeros(1, c, k, k), stride=s)
    assert conv.shape[2:] == (oh, ow)


@pytest.mark.parametrize("n,h,w,c,k,s,ew", SHAPES)
def test_window_words_follow_the_stream_order(n, h, w, c, k, s, ew):
    """Word by word with explicit loops: pixel (oy, ox), then ky, kx, then channel chunk."""
    x = rand_nhwc(n, h, w, c, ew, seed=7)
    simd = max(d for d in (1, 2, 3, 4, 8, 32) if c % d == 0)
    oh, ow = window_output_shape(h, w, k, s)
    want = [[x[f, oy * s + ky, ox * s + kx, ch * simd:(ch + 1) * simd]
             for oy in range(oh) for ox in range(ow) for ky in range(k) for kx in range(k) for ch in range(c // simd)]
            for f in range(n)]
    got = sliding_window_words(x, k, s, simd)
    assert got.shape == (n, oh * ow * k * k * c // simd, simd)
    np.testing.assert_array_equal(got, np.array(want))
    for i in range(got.shape[1]):
        oy, ox, ky, kx, ch = window_word_position(i, ow, k, c // simd)
        np.testing.assert_array_equal(got[0, i], x[0, oy * s + ky, ox * s + kx, ch * simd:(ch + 1) * simd])


def test_output_shapes():
    assert window_output_shape(32, 32, 3, 1) == (30, 30)
    assert window_output_shape(6, 7, 2, 2) == (3, 3)
    assert window_output_shape(9, 11, 3, 3) == (3, 3)
    assert window_output_shape(3, 3, 3, 1) == (1, 1)
    assert window_output_shape(4, 9, 1, 5) == (1, 2)


def test_bool_images_are_accepted():
    x = rand_nhwc(1, 4, 4, 2, 1).astype(bool)
    np.testing.assert_array_equal(sliding_window(x, 2, 1), sliding_window(x.astype(np.int64), 2, 1))


@pytest.mark.parametrize("args,match", [
    ((4, 4, 5, 1), "does not fit the 4x4 image"),
    ((4, 6, 5, 1), "does not fit the 4x6 image"),
    ((4, 4, 0, 1), "kernel size k must be an integer >= 1"),
    ((4, 4, 2, 0), "stride must be an integer >= 1"),
    ((4, 4, 2.0, 1), "kernel size k must be an integer >= 1"),
    ((4, 4, True, 1), "kernel size k must be an integer >= 1"),
    ((0, 4, 1, 1), "image height must be an integer >= 1"),
])
def test_output_shape_errors(args, match):
    with pytest.raises(SbnHwError, match=match):
        window_output_shape(*args)


def test_image_errors():
    with pytest.raises(SbnHwError, match="expected an NHWC array"):
        sliding_window(np.zeros((4, 4, 2), int), 2, 1)
    with pytest.raises(SbnHwError, match="expected integer element values"):
        sliding_window(np.zeros((1, 4, 4, 2)), 2, 1)
    with pytest.raises(SbnHwError, match="no channels"):
        sliding_window(np.zeros((1, 4, 4, 0), int), 2, 1)
    with pytest.raises(SbnHwError, match="does not fit the 4x4 image"):
        sliding_window(np.zeros((1, 4, 4, 2), int), 5, 1)
    with pytest.raises(SbnHwError, match="SIMD=3 does not divide the 4 channels"):
        sliding_window_words(np.zeros((1, 4, 4, 4), int), 2, 1, 3)
    with pytest.raises(SbnHwError, match="SIMD must be an integer >= 1"):
        sliding_window_words(np.zeros((1, 4, 4, 4), int), 2, 1, 0)


def test_stream_check_names_the_wrong_word():
    x = rand_nhwc(2, 5, 5, 4, 1)
    words = pack_words(sliding_window_words(x, 3, 1, 2), 1)
    check_window_stream("swu", words, x, 3, 1, 2, 1)  # exact: passes
    bad = list(words)
    bad[162 + 18 * 4 + 6 * 1 + 2 * 2 + 1] ^= 0b10  # frame 1, pixel (1, 1), ky=1, kx=2, chunk 1, element 1
    with pytest.raises(GoldenMismatch) as e:
        check_window_stream("swu", bad, x, 3, 1, 2, 1)
    msg = str(e.value)
    assert "frame 1, word 83 (oy=1, ox=1, ky=1, kx=2, chunk=1)" in msg and "differing bits [1]" in msg, msg
    assert "channels [3]" in msg, msg
    with pytest.raises(GoldenMismatch, match="323 words out, golden has 324"):
        check_window_stream("swu", words[:-1], x, 3, 1, 2, 1)


def test_packing_puts_element_j_at_bits_j_times_ew():
    assert pack_words(np.array([[1, 0, 1], [3, 2, 1]]), 2) == [0b010001, 0b011011]
    assert pack_words(np.array([[255, 1]]), 8) == [0x01FF]


def test_buffer_depth():
    """The unit's buffer: the window span ((K-1)*W + K pixels) plus room to keep both sides moving;
    less than K rows for CNV-size layers, two frames when the kernel covers the image."""
    assert swu_buffer_depth(30, 30, 64, 32, 3, 1) == (2 * 30 + 3) * 2 + 9 * 2 < 3 * 30 * 2
    assert swu_buffer_depth(32, 32, 3, 3, 3, 1) == (2 * 32 + 3) + 9
    assert swu_buffer_depth(3, 3, 16, 4, 3, 1) == 2 * 9 * 4
    assert swu_buffer_depth(5, 6, 6, 3, 1, 1) == 2 * 2  # K = 1: one pixel in, one out
    with pytest.raises(SbnHwError, match="SIMD=3 does not divide the 4 channels"):
        swu_buffer_depth(5, 5, 4, 3, 3, 1)
    with pytest.raises(SbnHwError, match="does not fit"):
        swu_buffer_depth(5, 5, 4, 2, 6, 1)
