"""Pure-numpy stream packing shared by the driver (on the board), the simulated twin and the RTL
benches (sbn_hw.verify.streams): no torch, no sbn_hw imports, numpy >= 1.17 (PYNQ images).

Stream format: a word carries `per_word` elements of `elem_bits` bits, element j at bits
[j*elem_bits +: elem_bits] (two's complement when signed); a word of `word_bytes` bytes sits in
memory little-endian, as AXI DMA moves it (byte 0 of the buffer is tdata[7:0]); unused high
bits are zero.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

# Integer input types: name -> (min, max); the same table as sbn_hw.compile.accel.INPUT_DTYPES
# (a test holds them equal), copied so the board needs no sbn_hw.compile.
INPUT_DTYPES = {
    "BINARY": (0, 1),
    "BIPOLAR": (0, 1),  # streamed as bits, 1 = +1
    **{f"UINT{b}": (0, (1 << b) - 1) for b in range(2, 9)},
    **{f"INT{b}": (-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in range(2, 9)},
}


def word_bytes_for(bits: int) -> int:
    return -(-int(bits) // 8)


def pack_beats(beats: np.ndarray, elem_bits: int, word_bytes: int) -> np.ndarray:
    """(W, per_word) integers -> (W, word_bytes) uint8 stream words."""
    beats = np.asarray(beats, dtype=np.int64)
    w, per = beats.shape
    if per * elem_bits > word_bytes * 8:
        raise ValueError(f"{per} elements of {elem_bits} bits do not fit a {word_bytes}-byte word")
    masked = beats & ((1 << elem_bits) - 1)  # two's complement of negatives, low bits only
    bits = (masked[:, :, None] >> np.arange(elem_bits, dtype=np.int64)) & 1  # (W, per, elem_bits), LSB first
    flat = np.zeros((w, word_bytes * 8), dtype=np.uint8)
    flat[:, : per * elem_bits] = bits.reshape(w, per * elem_bits)
    return np.packbits(flat, axis=1, bitorder="little")


def unpack_beats(words: np.ndarray, per_word: int, elem_bits: int, signed: bool = False) -> np.ndarray:
    """(W, word_bytes) uint8 stream words -> (W, per_word) int64 elements (high bits ignored)."""
    words = np.ascontiguousarray(words, dtype=np.uint8)
    bits = np.unpackbits(words, axis=1, bitorder="little")[:, : per_word * elem_bits]
    bits = bits.reshape(len(words), per_word, elem_bits).astype(np.int64)
    vals = (bits << np.arange(elem_bits, dtype=np.int64)).sum(axis=2)
    if signed:
        vals = np.where(vals >> (elem_bits - 1), vals - (1 << elem_bits), vals)
    return vals


def pack_frames(frames: np.ndarray, per_word: int, elem_bits: int, word_bytes: int) -> np.ndarray:
    """(N, K) integer frames -> (N, K/per_word * word_bytes) uint8: one row per frame, as the
    DMA buffer holds them."""
    frames = np.asarray(frames, dtype=np.int64)
    n, k = frames.shape
    if k % per_word:
        raise ValueError(f"{k} values per frame are not whole words of {per_word}")
    return pack_beats(frames.reshape(-1, per_word), elem_bits, word_bytes).reshape(n, -1)


def unpack_frames(data: np.ndarray, per_word: int, elem_bits: int, word_bytes: int, signed: bool,
                  features: int) -> np.ndarray:
    """(N, words * word_bytes) uint8 -> (N, features) int64."""
    data = np.asarray(data, dtype=np.uint8)
    n = len(data)
    return unpack_beats(data.reshape(-1, word_bytes), per_word, elem_bits, signed).reshape(n, features)


def words_to_ints(words: np.ndarray) -> list:
    """(W, word_bytes) uint8 -> Python ints (for simulators that drive tdata as one integer)."""
    return [int.from_bytes(bytes(row), "little") for row in np.asarray(words, dtype=np.uint8)]


def ints_to_words(values, word_bytes: int) -> np.ndarray:
    """Python ints -> (W, word_bytes) uint8."""
    buf = b"".join(int(v).to_bytes(word_bytes, "little") for v in values)
    return np.frombuffer(buf, dtype=np.uint8).reshape(-1, word_bytes).copy()


def nchw_to_stream(x: np.ndarray, chw) -> np.ndarray:
    """(N, C*H*W or C, H, W) images in the model's NCHW order -> (N, H*W*C) in the order a
    convolutional accelerator streams them (pixels row-major, channels innermost)."""
    c, h, w = (int(v) for v in chw)
    return np.asarray(x).reshape(len(x), c, h, w).transpose(0, 2, 3, 1).reshape(len(x), -1)


def stream_to_nchw(x: np.ndarray, chw) -> np.ndarray:
    """The inverse of nchw_to_stream, flat: (N, H*W*C) -> (N, C*H*W)."""
    c, h, w = (int(v) for v in chw)
    return np.asarray(x).reshape(len(x), h, w, c).transpose(0, 3, 1, 2).reshape(len(x), -1)


def quantize_inputs(x, input_dtype: str, input_scale: float, features: int, shape=None, chw=None) -> np.ndarray:
    """A user's inputs (floats as their model takes them: N x features or N x C x H x W) -> the
    integers the accelerator streams, (N, features) int64. chw: a convolutional accelerator's
    (C, H, W): the model's NCHW images are streamed NHWC. Raises InputError naming the problem."""
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_) \
            or np.issubdtype(x.dtype, np.complexfloating):
        raise InputError(f"inputs have dtype {x.dtype}; pass real numbers (float32) as your model takes them")
    frame_shapes = [(features,)]
    if shape:  # the model's own frame shape (C, H, W), also without its leading 1s ((H, W))
        full = tuple(int(v) for v in shape)
        squeezed = full[next((i for i, v in enumerate(full) if v != 1), len(full)):]
        frame_shapes += [s for s in (full, squeezed) if s not in frame_shapes]
    if x.ndim < 2 or x.shape[1:] not in frame_shapes or len(x) == 0:
        want = " or ".join(str(("N",) + s).replace("'", "") for s in frame_shapes)
        hint = " (a single frame: x[None])" if x.shape in frame_shapes else ""
        raise InputError(f"inputs have shape {x.shape}; the accelerator takes {want} with N >= 1{hint}")
    x = x.astype(np.float64).reshape(len(x), features)
    return quantize_frames(nchw_to_stream(x, chw) if chw else x, input_dtype, input_scale)


def quantize_frames(x: np.ndarray, input_dtype: str, input_scale: float,
                    scale_fix: str = "scale them as the model was trained (pixel / pixel_max)") -> np.ndarray:
    """(N, features) floats -> the integers the accelerator streams: finite, on the scale's grid and
    inside the input type. The one quantisation of inputs (the driver's and sbn_hw.verify's);
    `scale_fix` says how to fix inputs off the scale's grid. Raises InputError naming the problem."""
    bad = ~np.isfinite(x)
    if bad.any():
        f, i = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(f"inputs hold {int(bad.sum())} NaN/infinite values (first at frame {f}, value {i}); "
                         "every input must be a finite number")
    if input_dtype == "BIPOLAR":
        if not np.all((x == -1.0) | (x == 1.0)):
            raise InputError("a BIPOLAR accelerator takes inputs of exactly -1 or +1")
        return (x > 0).astype(np.int64)
    if input_dtype not in INPUT_DTYPES:
        raise InputError(f"unknown input type '{input_dtype}' in the description")
    q = x / input_scale
    xi = np.rint(q)
    if np.abs(q - xi).max(initial=0) > 1e-3:
        raise InputError(f"inputs are not integer multiples of the input scale {input_scale:g}: {scale_fix}")
    lo, hi = INPUT_DTYPES[input_dtype]
    if xi.min() < lo or xi.max() > hi:
        raise InputError(f"inputs / scale span [{xi.min():g}, {xi.max():g}], outside {input_dtype} [{lo}, {hi}]")
    return xi.astype(np.int64)
