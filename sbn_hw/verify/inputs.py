"""A user's inputs (floats, as their model takes them) -> the integers the accelerator streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError


def load_user_inputs(path: Path) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise SbnHwError(f"inputs file '{path}' does not exist")
    try:
        x = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise SbnHwError(f"'{path}' is not a numpy .npy array file ({e})") from None
    if not isinstance(x, np.ndarray) or x.ndim < 1 or len(x) == 0:
        raise SbnHwError(f"'{path}' holds no frames: save an array of shape (N, features) with N >= 1")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise SbnHwError(f"'{path}' holds {x.dtype} values; save real numbers (float32) as your model takes them")
    return x


def user_inputs_to_hw(x: np.ndarray, input_dtype: str, input_scale: float, features: int, chw=None) -> np.ndarray:
    """A user's inputs (N x anything holding `features` values; NCHW images for a convolutional
    accelerator, chw = its (C, H, W)) -> the integers the accelerator streams, in stream order, by
    the driver's own quantisation (sbn_hw.runtime.packing.quantize_frames)."""
    from sbn_hw.runtime.errors import InputError
    from sbn_hw.runtime.packing import nchw_to_stream, quantize_frames

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] != features:
        raise SbnHwError(f"inputs have {x.shape[1]} values per frame, the accelerator takes {features}")
    if chw:
        x = nchw_to_stream(x, chw)
    try:
        return quantize_frames(x, input_dtype, input_scale,
                               scale_fix="compile with the scale your inputs use (--input-scale)")
    except InputError as e:
        raise SbnHwError(str(e)) from None


def hw_inputs_to_user(x_hw: np.ndarray, input_dtype: str, input_scale: float, chw=None) -> np.ndarray:
    """The inverse: integers on the stream -> the floats the source model takes (flat NCHW
    images for a convolutional accelerator, chw = its (C, H, W))."""
    from sbn_hw.runtime.packing import stream_to_nchw

    x_hw = np.asarray(x_hw, dtype=np.float64)
    if chw:
        x_hw = stream_to_nchw(x_hw, chw)
    return (2 * x_hw - 1) if input_dtype == "BIPOLAR" else x_hw * input_scale


def range_covering_inputs(lo: int, hi: int, features: int, frames: int, seed: int = 0) -> np.ndarray:
    """Integer frames for checking a model without a dataset: all-min, all-max, then uniform over
    [lo, hi], so every input value and both extremes of every accumulator's input are exercised."""
    x = np.random.default_rng(seed).integers(lo, hi + 1, (frames, features))
    x[0], x[min(1, frames - 1)] = lo, hi
    return x
