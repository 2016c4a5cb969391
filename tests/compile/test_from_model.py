"""The hardened model read as MVAU weights (sbn_hw.compile.from_model): a conv kernel's rows in the
sliding window's (ky, kx, c) order, and a dense layer after a flatten in the stream's (h, w, c)
order, checked by computing with them against torch's own conv and linear layers."""

import numpy as np
import pytest
import torch

from sbn_hw.compile.from_model import _blocks, weight_rows
from sbn_hw.harden import harden
from sbn_hw.models import build_model
from sbn_hw.nn.binarizers import LABConvActivation


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


def random_lab_cnn(seed: int = 0):
    """digits-cnn trained with lab (K x K binarizers on both convs), with random batch norms
    (negative scales included), kernels and biases: a hardened model and its layout twin."""
    torch.manual_seed(seed)
    model = build_model("digits-cnn", 64, 10, "lab", image_shape=(8, 8))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.uniform_(-3, 3)
                m.running_var.uniform_(0.5, 4)
                m.weight.uniform_(-1, 1)
                m.bias.uniform_(-1, 1)
            if isinstance(m, LABConvActivation):
                m.k.normal_()
                m.c.normal_()
    return model.eval()


def test_lab_units_on_finn_layout_equal_qonnx_of_the_model(tmp_path):
    """FINN lays out the twin; the LAB units built from the model's LABWindows make the golden model
    equal QONNX execution of the model itself (depthwise Conv, Round, offsets), every layer."""
    from sbn_hw.compile.from_model import layout_twin, own_encodings_description
    from sbn_hw.compile.pipeline import compile_qonnx
    from sbn_hw.export import export_model, load_onnx
    from sbn_hw.golden import run_accelerator
    from sbn_hw.golden.executor import host_scores
    from sbn_hw.verify.qonnx_reference import compare_with_qonnx, exact_layers, quantized_layers, trace_qonnx

    model = random_lab_cnn()
    hardened = harden(model, 1 / 16)
    path = export_model(hardened, (1, 8, 8), tmp_path / "model.onnx")
    twin = export_model(layout_twin(hardened), (1, 8, 8), tmp_path / "twin.onnx", bipolar_twin=True)
    accel = own_encodings_description(hardened, compile_qonnx(twin, "UINT5", 1 / 16).accel)
    assert [l.kind for l in accel.layers] == ["window", "mvau", "lab", "window", "mvau", "lab", "pool", "mvau", "mvau"]
    assert not accel.layers[1].has_thresholds and not accel.layers[4].has_thresholds
    # LAB units get the fewest lanes that keep them off the critical path, not their MVAU's PE
    labs = [accel.layers[2], accel.layers[5]]
    assert all(l.cycles <= max(m.cycles for m in accel.layers if m.kind != "lab") for l in labs)
    assert labs[1].pe < accel.layers[4].pe
    x = np.random.default_rng(1).integers(0, 17, (40, 64))
    golden = run_accelerator(accel, x)
    trace = trace_qonnx(load_onnx(path), x.astype(np.float32) / 16)
    cmp = compare_with_qonnx(*quantized_layers(accel, golden), host_scores(accel, golden[-1]), trace, "accelerator",
                             exact_layers(accel))
    assert exact_layers(accel) == {"LAB_0", "LAB_1"}
    assert cmp.tie_frames == []
    with torch.no_grad():  # and the hardened model is the trained one
        assert torch.equal(model(torch.from_numpy(x).float() / 16).argmax(1),
                           hardened(torch.from_numpy(x).float() / 16).argmax(1))


def test_lab_unit_refuses_an_input_scale_other_than_the_models(tmp_path):
    from sbn_hw import SbnHwError
    from sbn_hw.compile.from_model import layout_twin, own_encodings_description
    from sbn_hw.compile.pipeline import compile_qonnx
    from sbn_hw.export import export_model

    hardened = harden(random_lab_cnn(), 1 / 16)
    twin = export_model(layout_twin(hardened), (1, 8, 8), tmp_path / "twin.onnx", bipolar_twin=True)
    with pytest.raises(SbnHwError, match="--input-scale 0.0625"):
        own_encodings_description(hardened, compile_qonnx(twin, "UINT5", 1 / 255).accel)


@pytest.mark.parametrize("alpha", [1, 2])
@pytest.mark.parametrize("le", [False, True])
def test_class_threshold_is_exact_for_every_window_sum(alpha, le):
    """[alpha*S + offset >= n] (or <=) equals the integer compare for every S in reach, with
    integer offsets (exact ties), halves, float32 values, odd and even n, and offsets beyond reach."""
    from sbn_hw.compile.from_model import class_threshold

    rng = np.random.default_rng(alpha * 2 + le)
    offsets = [0.0, 3.0, -4.0, 2.5, -0.5, 1e30, -1e30, float(np.float32(0.1)), *rng.normal(0, 30, 40).astype(np.float32)]
    for reach in (0, 1, 17):
        for n in (-7, -2, 0, 3, 8):
            for off in offsets:
                t = class_threshold(n, float(off), alpha, le, reach)
                assert -reach - 1 <= t <= reach + 1
                for s in range(-reach, reach + 1):
                    want = alpha * s <= n - off if le else alpha * s >= n - off
                    assert (s <= t if le else s >= t) == want, (n, off, s, t)
