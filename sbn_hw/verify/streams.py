"""Pure helpers that turn vectors into AXI-Stream words and back (element j at bits [j*ew +: ew]).
Whole frames go through sbn_hw.runtime.packing, the code the PYNQ driver packs with."""

from __future__ import annotations

import numpy as np

from sbn_hw.runtime.packing import ints_to_words, pack_beats, unpack_beats, word_bytes_for, words_to_ints


def pack_word(values, ew: int) -> int:
    mask = (1 << ew) - 1
    word = 0
    for j, v in enumerate(values):
        word |= (int(v) & mask) << (j * ew)
    return word


def unpack_word(word: int, n: int, ew: int, signed: bool = False) -> list[int]:
    mask = (1 << ew) - 1
    out = []
    for j in range(n):
        v = (word >> (j * ew)) & mask
        if signed and v >> (ew - 1):
            v -= 1 << ew
        out.append(v)
    return out


def frames_to_words(frames: np.ndarray, per_beat: int, ew: int) -> list[int]:
    """(N, K) integer frames -> N*K/per_beat words, frame after frame (the driver's packing)."""
    flat = np.asarray(frames, dtype=np.int64).reshape(-1, per_beat)
    return words_to_ints(pack_beats(flat, ew, word_bytes_for(per_beat * ew)))


def words_to_frames(words, per_beat: int, ew: int, signed: bool, frame_len: int) -> np.ndarray:
    """Words from a stream (Python ints, or the (W, bytes) uint8 rows of hex_lines_to_words) ->
    (N, frame_len) integers (the driver's unpacking)."""
    word_bytes = word_bytes_for(per_beat * ew)
    if isinstance(words, np.ndarray) and words.ndim == 2:
        data = np.zeros((len(words), word_bytes), np.uint8)
        data[:, : min(word_bytes, words.shape[1])] = words[:, :word_bytes]
    else:
        data = ints_to_words(words, word_bytes)
    if ew == 1 and not signed:  # a binary stream: the bits are the values (uint8, not int64)
        return np.unpackbits(data, axis=1, bitorder="little")[:, :per_beat].reshape(-1, frame_len)
    return unpack_beats(data, per_beat, ew, signed).reshape(-1, frame_len)


def hex_lines_to_words(text: bytes) -> np.ndarray:
    """A capture file of equal-width hex words, one per line (Verilog's "%h\\n"), -> (W, bytes)
    uint8 rows, least significant byte first, without a Python int per word (a CNN's window
    streams are millions of words). Raises ValueError on lines of unequal width or non-hex digits."""
    if not text:
        return np.zeros((0, 1), np.uint8)
    width = text.index(b"\n")
    if width == 0 or len(text) % (width + 1):
        raise ValueError(f"capture lines are not all {width} hex digits")
    rows = np.frombuffer(text, np.uint8).reshape(-1, width + 1)
    if np.any(rows[:, width] != ord("\n")):
        raise ValueError(f"capture lines are not all {width} hex digits")
    digits = rows[:, :width]
    lower = digits | 0x20  # 'A'-'F' -> 'a'-'f'; '0'-'9' are unchanged
    # uint8 arithmetic: anything but a hex digit wraps or lands above 15.
    nibbles = np.where(digits <= ord("9"), digits - ord("0"), lower - (ord("a") - 10)).astype(np.int16)
    if np.any(nibbles > 15):
        raise ValueError("a capture line holds a character that is not a hex digit (an x or z bit?)")
    if width % 2:  # a leading zero nibble makes whole bytes
        nibbles = np.concatenate([np.zeros((len(nibbles), 1), np.int16), nibbles], axis=1)
    big_endian = (nibbles[:, 0::2] << 4 | nibbles[:, 1::2]).astype(np.uint8)
    return np.ascontiguousarray(big_endian[:, ::-1])
