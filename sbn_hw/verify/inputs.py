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


def user_inputs_to_hw(x: np.ndarray, input_dtype: str, input_scale: float, features: int) -> np.ndarray:
    from sbn_hw.compile.accel import INPUT_DTYPES

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] != features:
        raise SbnHwError(f"inputs have {x.shape[1]} values per frame, the accelerator takes {features}")
    bad = ~np.isfinite(x)
    if bad.any():
        f, i = (int(v) for v in np.argwhere(bad)[0])
        raise SbnHwError(f"inputs hold {int(bad.sum())} NaN/infinite values (first at frame {f}, value {i}: {x[f, i]}); "
                         "every input must be a finite number")
    if input_dtype == "BIPOLAR":
        if not np.all(np.isin(x, (-1.0, 1.0))):
            raise SbnHwError("a BIPOLAR accelerator takes inputs of exactly -1 or +1")
        return (x > 0).astype(np.int64)
    q = x / input_scale
    xi = np.rint(q)
    if np.abs(q - xi).max(initial=0) > 1e-3:
        raise SbnHwError(f"inputs are not integer multiples of the input scale {input_scale:g}: "
                         f"compile with the scale your inputs use (--input-scale)")
    lo, hi = INPUT_DTYPES[input_dtype]
    if xi.min() < lo or xi.max() > hi:
        raise SbnHwError(f"inputs / scale span [{xi.min():g}, {xi.max():g}], outside {input_dtype} [{lo}, {hi}]")
    return xi.astype(np.int64)


def hw_inputs_to_user(x_hw: np.ndarray, input_dtype: str, input_scale: float) -> np.ndarray:
    """The inverse: integers on the stream -> the floats the source model takes."""
    x_hw = np.asarray(x_hw, dtype=np.float64)
    return (2 * x_hw - 1) if input_dtype == "BIPOLAR" else x_hw * input_scale


def range_covering_inputs(lo: int, hi: int, features: int, frames: int, seed: int = 0) -> np.ndarray:
    """Integer frames for checking a model without a dataset: all-min, all-max, then uniform over
    [lo, hi], so every input value and both extremes of every accumulator's input are exercised."""
    x = np.random.default_rng(seed).integers(lo, hi + 1, (frames, features))
    x[0], x[min(1, frames - 1)] = lo, hi
    return x
