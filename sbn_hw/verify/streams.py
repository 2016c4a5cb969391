"""Pure helpers that turn vectors into AXI-Stream words and back (element j at bits [j*ew +: ew])."""

from __future__ import annotations

import numpy as np


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
    """(N, K) integer frames -> N*K/per_beat words, frame after frame."""
    flat = np.asarray(frames, dtype=np.int64).reshape(-1, per_beat)
    return [pack_word(row, ew) for row in flat]


def words_to_frames(words: list[int], per_beat: int, ew: int, signed: bool, frame_len: int) -> np.ndarray:
    vals = [v for w in words for v in unpack_word(int(w), per_beat, ew, signed)]
    return np.asarray(vals, dtype=np.int64).reshape(-1, frame_len)
