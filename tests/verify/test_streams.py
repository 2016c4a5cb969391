"""Capture files and stream words: hex lines parsed without a Python int per word, decoded as the
driver decodes them."""

import numpy as np
import pytest

from sbn_hw.runtime.packing import unpack_beats
from sbn_hw.verify.streams import frames_to_words, hex_lines_to_words, words_to_frames


def hex_file(words: list[int], bits: int, upper: bool = False) -> bytes:
    """What the harness writes with $fwrite("%h\\n"): every word at the width of its bus."""
    text = "".join(f"{w:0{-(-bits // 4)}x}\n" for w in words)
    return (text.upper() if upper else text).encode()


@pytest.mark.parametrize("bits", [1, 4, 7, 8, 12, 32, 36, 200])
def test_hex_lines_are_the_words_least_significant_byte_first(bits):
    rng = np.random.default_rng(bits)
    words = [int(rng.integers(0, 2**62)) << 140 | int(rng.integers(0, 2**62)) for _ in range(50)]
    words = [w & ((1 << bits) - 1) for w in words]
    rows = hex_lines_to_words(hex_file(words, bits))
    assert rows.dtype == np.uint8 and rows.shape == (50, -(-bits // 8))
    assert [int.from_bytes(bytes(r), "little") for r in rows] == words
    np.testing.assert_array_equal(hex_lines_to_words(hex_file(words, bits, upper=True)), rows)


@pytest.mark.parametrize("per_beat,ew,signed", [(32, 1, False), (4, 3, True), (2, 8, False), (5, 1, True)])
def test_captured_rows_decode_like_the_ints_they_hold(per_beat, ew, signed):
    rng = np.random.default_rng(ew)
    lo, hi = (-(1 << (ew - 1)), 1 << (ew - 1)) if signed else (0, 1 << ew)
    frames = rng.integers(lo, hi, (6, 4 * per_beat))
    words = frames_to_words(frames, per_beat, ew)
    rows = hex_lines_to_words(hex_file(words, per_beat * ew))
    for got in (words_to_frames(rows, per_beat, ew, signed, 4 * per_beat),
                words_to_frames(words, per_beat, ew, signed, 4 * per_beat)):
        np.testing.assert_array_equal(got, frames)
    # A binary stream's shortcut gives the driver's values.
    if ew == 1 and not signed:
        from sbn_hw.runtime.packing import ints_to_words

        np.testing.assert_array_equal(words_to_frames(rows, per_beat, 1, False, 4 * per_beat).reshape(-1, per_beat),
                                      unpack_beats(ints_to_words(words, 4), per_beat, 1))


def test_an_empty_capture_has_no_words():
    assert hex_lines_to_words(b"").shape == (0, 1)


@pytest.mark.parametrize("text,match", [(b"0f\n1\n", "not all 2 hex digits"), (b"0f\n1x\n", "not a hex digit"),
                                        (b"zz\n", "not a hex digit"), (b"0f\n12", "not all 2 hex digits"),
                                        (b"\n", "not all 0 hex digits"), (b"0g\n", "not a hex digit"),
                                        (b"0/\n", "not a hex digit"), (b"0:\n", "not a hex digit")])
def test_a_damaged_capture_is_refused(text, match):
    with pytest.raises(ValueError, match=match):
        hex_lines_to_words(text)
