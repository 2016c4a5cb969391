"""Max pooling, the golden function of rtl/sbn_maxpool.v: a K x K window with stride K over NHWC
integer feature maps, floor mode (trailing rows and columns that do not fill a window are dropped),
as torch's MaxPool2d(kernel_size=K).

A 1-bit activation is a bipolar (1 = +1) or binary {0,1} code: in both the maximum is the OR of the
bits, which is what max_pool computes on 0/1 (or bool) arrays, so no encoding needs naming here."""

from __future__ import annotations

import numpy as np

from sbn_hw import SbnHwError


def _positive_int(name: str, value, hint: str = "") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise SbnHwError(f"max pool: {name} must be an integer, got {value!r}{hint}")
    if value < 1:
        raise SbnHwError(f"max pool: {name} must be at least 1, got {value}{hint}")
    return int(value)


def pool_output_shape(ifm_h: int, ifm_w: int, k: int) -> tuple[int, int]:
    """(OH, OW) = (ifm_h // k, ifm_w // k) for a k x k window with stride k; raises SbnHwError for
    a window smaller than 1 or larger than the feature map."""
    ifm_h, ifm_w = _positive_int("feature map height", ifm_h), _positive_int("feature map width", ifm_w)
    k = _positive_int("window K", k, " (K is the window side and the stride)")
    if k > ifm_h or k > ifm_w:
        raise SbnHwError(
            f"max pool: window K={k} is larger than the {ifm_h} x {ifm_w} feature map, so no output pixel "
            f"is left; use K <= {min(ifm_h, ifm_w)}"
        )
    return ifm_h // k, ifm_w // k


def check_pool_folding(channels: int, pe: int, ew: int = 1, signed: bool = False) -> int:
    """Check the hardware folding of a max pool (sbn_maxpool's C, PE, EW, SIGNED_ELEMS); returns
    C / PE, the stream words per pixel. Raises SbnHwError naming the fix."""
    channels, pe, ew = _positive_int("channel count C", channels), _positive_int("PE", pe), _positive_int("EW", ew)
    if channels % pe:
        divisors = [d for d in range(1, channels + 1) if channels % d == 0]
        raise SbnHwError(
            f"max pool: PE={pe} does not divide the {channels} channels; choose PE from {divisors}"
        )
    if ew == 1 and signed:
        raise SbnHwError(
            "max pool: 1-bit elements are bipolar (1 = +1) or binary {0,1} codes whose maximum is the OR; "
            "they are not two's complement: use signed=False (SIGNED_ELEMS=0)"
        )
    return channels // pe


def max_pool(x: np.ndarray, k: int) -> np.ndarray:
    """x: (N, H, W, C) integers (or bools) -> (N, H // k, W // k, C) of the same dtype, each output
    the maximum of its k x k window (stride k, trailing rows and columns dropped)."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise SbnHwError(f"max pool: expected an (N, H, W, C) feature map array, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise SbnHwError(
            f"max pool: feature maps are integers after hardening, got dtype {x.dtype}; "
            "quantize the activations first"
        )
    n, h, w, c = x.shape
    if c < 1:
        raise SbnHwError(f"max pool: the feature map has no channels (shape {x.shape})")
    oh, ow = pool_output_shape(h, w, k)
    windows = x[:, : oh * k, : ow * k, :].reshape(n, oh, k, ow, k, c)
    return windows.max(axis=(2, 4)).astype(x.dtype, copy=False)
