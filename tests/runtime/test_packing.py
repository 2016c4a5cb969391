"""Stream packing and input quantisation of the driver (sbn_hw.runtime.packing): every input type,
against the per-word reference packers of the RTL benches and the simulate stage's conversion."""

import ast
import subprocess
import sys

import numpy as np
import pytest

from sbn_hw.compile.accel import INPUT_DTYPES, bits_for_range
from sbn_hw.rtlgen.shell import stream_width
from sbn_hw.runtime import BOARD_FILES, InputError
from sbn_hw.runtime import packing
from sbn_hw.runtime.deploy import RUNTIME_DIR, copy_driver
from sbn_hw.verify.inputs import user_inputs_to_hw
from sbn_hw.verify.streams import pack_word, unpack_word


def test_input_types_are_the_compilers():
    assert packing.INPUT_DTYPES == INPUT_DTYPES


def test_known_words():
    # UINT4 [1, 2, 3] -> 0x321, little-endian in memory; INT3 [-1, 2] -> 0b010_111.
    assert packing.pack_beats(np.array([[1, 2, 3]]), 4, 2).tolist() == [[0x21, 0x03]]
    assert packing.pack_beats(np.array([[-1, 2]]), 3, 1).tolist() == [[0x17]]
    assert packing.unpack_beats(np.array([[0x17]], np.uint8), 2, 3, signed=True).tolist() == [[-1, 2]]
    assert packing.unpack_beats(np.array([[0x17]], np.uint8), 2, 3, signed=False).tolist() == [[7, 2]]


@pytest.mark.parametrize("dtype", list(INPUT_DTYPES))
@pytest.mark.parametrize("simd", [1, 3, 16])
def test_pack_unpack_every_input_type(dtype, simd):
    lo, hi = INPUT_DTYPES[dtype]
    ew, signed = bits_for_range(lo, hi)
    wb = stream_width(simd * ew) // 8  # the shell's DMA word
    frames = np.random.default_rng(simd).integers(lo, hi + 1, (7, simd * 4))
    frames[0], frames[1] = lo, hi
    data = packing.pack_frames(frames, simd, ew, wb)
    assert data.shape == (7, 4 * wb) and data.dtype == np.uint8
    # Each word equals the bench's per-word packer, and the padding above simd*ew bits is zero.
    ints = packing.words_to_ints(data.reshape(-1, wb))
    assert ints == [pack_word(row, ew) for row in frames.reshape(-1, simd)]
    assert all(w >> (simd * ew) == 0 for w in ints)
    back = packing.unpack_frames(data, simd, ew, wb, signed, simd * 4)
    assert np.array_equal(back, frames)
    assert [v for w in ints for v in unpack_word(w, simd, ew, signed)] == frames.reshape(-1).tolist()


@pytest.mark.parametrize("dtype", list(INPUT_DTYPES))
def test_quantize_agrees_with_the_simulate_stage(dtype):
    lo, hi = INPUT_DTYPES[dtype]
    scale = 1.0 if dtype == "BIPOLAR" else 1 / 7
    hw = np.random.default_rng(3).integers(lo, hi + 1, (9, 2, 3, 2))
    x = (2.0 * hw - 1) if dtype == "BIPOLAR" else (hw * scale).astype(np.float32)
    got = packing.quantize_inputs(x, dtype, scale, 12, shape=(2, 3, 2))
    assert np.array_equal(got, user_inputs_to_hw(x, dtype, scale, 12))
    assert np.array_equal(got, hw.reshape(9, 12))
    if dtype != "BIPOLAR":  # one step past the type's range is refused by both
        bad = x.astype(np.float64).copy()
        bad[0, 0, 0, 0] = (hi + 1) * scale
        with pytest.raises(InputError, match="outside"):
            packing.quantize_inputs(bad, dtype, scale, 12, shape=(2, 3, 2))


@pytest.mark.parametrize("x,match", [
    (np.zeros((3, 5)), r"shape \(3, 5\)"),
    (np.zeros(12), r"single frame"),
    (np.zeros((0, 12)), "N >= 1"),
    (np.array([["a"] * 12]), "dtype <U1"),
    (np.zeros((2, 12), complex), "complex"),
    (np.full((2, 12), np.nan), "NaN"),
    (np.full((2, 12), 0.5 / 7), "integer multiples"),
])
def test_bad_inputs_are_named(x, match):
    with pytest.raises(InputError, match=match):
        packing.quantize_inputs(x, "UINT4", 1 / 7, 12)


def test_board_files_stand_alone(tmp_path):
    """The deployed driver imports with numpy alone: no sbn_hw, no torch; Python 3.8 syntax (PYNQ 2.7+)."""
    for f in BOARD_FILES:
        ast.parse((RUNTIME_DIR / f).read_text(), feature_version=(3, 8))
    copy_driver(tmp_path)
    code = ("import sys; sys.modules['sbn_hw'] = None; sys.modules['torch'] = None; "
            f"sys.path.insert(0, {str(tmp_path)!r}); import sbn_runtime as r; "
            "assert r.Accelerator and r.AcceleratorError.__mro__[1] is RuntimeError; print('ok')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert res.stdout.strip() == "ok", res.stderr
