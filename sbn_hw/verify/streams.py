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


def words_to_frames(words: list[int], per_beat: int, ew: int, signed: bool, frame_len: int) -> np.ndarray:
    """Words from a stream -> (N, frame_len) integers (the driver's unpacking)."""
    data = ints_to_words(words, word_bytes_for(per_beat * ew))
    return unpack_beats(data, per_beat, ew, signed).reshape(-1, frame_len)
