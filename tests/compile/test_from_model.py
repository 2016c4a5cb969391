"""The hardened model read as MVAU weights (sbn_hw.compile.from_model): a conv kernel's rows in the
sliding window's (ky, kx, c) order, and a dense layer after a flatten in the stream's (h, w, c)
order, checked by computing with them against torch's own conv and linear layers."""

import numpy as np
import torch

from sbn_hw.compile.from_model import _blocks, weight_rows
from sbn_hw.harden import harden
from sbn_hw.models import build_model


def bipolar(rows: np.ndarray) -> np.ndarray:
    return 2 * rows.astype(np.int64) - 1


def test_conv_and_flattened_dense_rows_compute_what_torch_computes():
    torch.manual_seed(0)
    hardened = harden(build_model("digits-cnn", 64, 10, "ste", image_shape=(8, 8)))
    blocks = _blocks(hardened)
    convs = [b for b in blocks if b.weight.weight.dim() == 4]
    dense_after_flatten = [b for b in blocks if b.flattened_from is not None]
    assert len(convs) == 2 and len(dense_after_flatten) == 1

    rng = np.random.default_rng(0)
    conv = convs[1].weight
    o, c, k, _ = conv.weight.shape
    x = rng.choice([-1.0, 1.0], size=(1, c, k, k)).astype(np.float32)  # exactly one window
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.sign(conv.weight.detach()) + (conv.weight.detach() == 0))
    window = x[0].transpose(1, 2, 0).reshape(-1)  # (ky, kx, c), as the window unit streams it
    assert np.array_equal(bipolar(weight_rows(convs[1], False)) @ window, want.numpy().reshape(o))

    fc = dense_after_flatten[0]
    ch, h, w = fc.flattened_from
    fmap = rng.choice([-1.0, 1.0], size=(ch, h, w))
    wt = fc.weight.weight.detach().numpy()
    want = np.where(wt >= 0, 1, -1) @ fmap.reshape(-1)  # torch's flatten: (c, h, w)
    got = bipolar(weight_rows(fc, False)) @ fmap.transpose(1, 2, 0).reshape(-1)  # the stream: (h, w, c)
    assert h * w > 1 and np.array_equal(got, want)
