"""Scoreboard helpers shared by the cocotb benches: decode words, compare with the golden model,
and measure steady-state cycles per frame."""

from __future__ import annotations

import numpy as np

from sbn_hw.golden import compare_layer_outputs
from sbn_hw.verify.streams import words_to_frames


def check_stream(name: str, words, per_beat: int, ew: int, signed: bool, golden: np.ndarray,
                 first_frame: int = 0) -> None:
    """Decode `words` (Python ints, or uint8 rows from hex_lines_to_words) into frames and raise
    GoldenMismatch naming layer, frame, output and bit. The
    whole frames are compared first; a stream that stopped short (or ran long) is then named with
    its word count. first_frame: the number of golden[0] among all frames (a shard's offset)."""
    from sbn_hw.golden import GoldenMismatch

    words_per_frame = golden.shape[1] // per_beat
    whole = len(words) // words_per_frame
    frames = (words_to_frames(words[: whole * words_per_frame], per_beat, ew, signed, golden.shape[1]) if whole
              else np.zeros((0, golden.shape[1]), np.int64))
    n = min(len(frames), len(golden))
    compare_layer_outputs(name, frames[:n], golden[:n], first_frame=first_frame)
    if len(words) != len(golden) * words_per_frame:
        raise GoldenMismatch(f"layer {name}: {len(words)} words out ({whole} whole frames), golden has {len(golden)} "
                             f"frames of {words_per_frame} words" + (f" (frames {first_frame} to "
                             f"{first_frame + len(golden) - 1})" if first_frame else ""))


def cycles_per_frame(out_cycles: list[int], beats_per_frame: int) -> float:
    """Mean interval between frame completions, skipping the first (pipeline fill)."""
    ends = out_cycles[beats_per_frame - 1 :: beats_per_frame]
    if len(ends) < 2:
        return float("nan")
    return (ends[-1] - ends[0]) / (len(ends) - 1)
