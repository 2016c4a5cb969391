"""The scoreboard that checks each captured layer stream against the golden model."""

import numpy as np
import pytest

from sbn_hw.golden import GoldenMismatch
from sbn_hw.verify.scoreboard import check_stream
from sbn_hw.verify.streams import frames_to_words

GOLDEN = np.arange(24).reshape(3, 8) % 4  # 3 frames of 8 two-bit values


def test_whole_stream_passes_and_a_wrong_value_names_frame_and_output():
    words = frames_to_words(GOLDEN, 2, 2)
    check_stream("MVAU_1", words, 2, 2, False, GOLDEN)
    bad = list(words)
    bad[5] ^= 1  # frame 1 (4 words per frame), word 1: output 2
    with pytest.raises(GoldenMismatch, match=r"MVAU_1.*frame 1"):
        check_stream("MVAU_1", bad, 2, 2, False, GOLDEN)


def test_a_stream_that_stops_mid_frame_is_named_with_its_word_count():
    words = frames_to_words(GOLDEN, 2, 2)[:-1]  # the last frame lacks a word
    with pytest.raises(GoldenMismatch, match=r"layer MVAU_1: 11 words out \(2 whole frames\), golden has 3 frames of "
                                             r"4 words"):
        check_stream("MVAU_1", words, 2, 2, False, GOLDEN)
