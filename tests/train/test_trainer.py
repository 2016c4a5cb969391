"""Determinism and checkpoint/resume equality."""

import numpy as np
import pytest
import torch

from sbn_hw import SbnHwError
from sbn_hw.data import load_dataset
from sbn_hw.train import TrainConfig, train


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("method", ["sbn", "siman"])
def test_resume_reaches_the_same_result(tmp_path, method):
    data = load_dataset("digits")
    cfg = TrainConfig(model="tfc", method=method, epochs=3)
    straight = train(cfg, data)

    def stop_after_two(rec):
        if rec["epoch"] == 2:
            raise Interrupt

    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(Interrupt):
        train(cfg, data, stop_after_two, checkpoint=ckpt)
    resumed = train(cfg, data, checkpoint=ckpt, resume=True)
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [h["loss"] for h in straight.history] == [h["loss"] for h in resumed.history]


def test_resume_needs_matching_settings_and_a_checkpoint(tmp_path):
    data = load_dataset("digits")
    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(SbnHwError, match="no checkpoint"):
        train(TrainConfig(model="tfc", epochs=1), data, checkpoint=ckpt, resume=True)
    train(TrainConfig(model="tfc", epochs=1), data, checkpoint=ckpt)
    with pytest.raises(SbnHwError, match="other training settings"):
        train(TrainConfig(model="tfc", epochs=1, lr=0.5), data, checkpoint=ckpt, resume=True)
    ckpt.write_bytes(b"garbage")
    with pytest.raises(SbnHwError, match="cannot be read"):
        train(TrainConfig(model="tfc", epochs=1), data, checkpoint=ckpt, resume=True)


def test_hard_finish_makes_hardening_lossless_by_construction():
    """The last epochs train the exact sign forward: the trained network *is* its sign version."""
    from sbn_hw.train.trainer import set_final_state, smooth_and_hard

    data = load_dataset("digits")
    cfg = TrainConfig(model="tfc", epochs=4, hard_finish_epochs=2, val_fraction=0.1)
    res = train(cfg, data)
    assert [h["hard_finish"] for h in res.history] == [False, False, True, True]
    assert res.history[-1]["agreement"] == res.history[-1]["test_agreement"] == 1.0
    # The state a later stage reloads (set_final_state) keeps the hard forward.
    model = set_final_state(res.model, cfg)
    x = data.x_test.astype("float32") / data.pixel_max
    assert smooth_and_hard(model, x, data.y_test)[2] == 1.0


def test_validation_split_is_carved_from_training_and_watched():
    from sbn_hw.data import split_validation

    data = load_dataset("digits")
    (x_tr, y_tr), (x_val, y_val) = split_validation(data.x_train, data.y_train, 0.1, seed=0)
    assert len(x_tr) + len(x_val) == len(data.x_train) and abs(len(x_val) - 0.1 * len(data.x_train)) <= 1
    assert set(y_val) == set(y_tr)  # stratified
    h = train(TrainConfig(model="tfc", epochs=1, val_fraction=0.1), data).history[-1]
    assert {"val_acc", "val_acc_hard", "agreement", "test_agreement"} <= set(h)


@pytest.mark.parametrize("kw,msg", [
    (dict(method="ste", hard_finish_epochs=1), "are for --method sbn"),
    (dict(method="lab", hard_finish_nu_a=2.0), "are for --method sbn"),
    (dict(hard_finish_epochs=5), r"must be in \[0, 3\]"),
    (dict(val_fraction=0.6), r"must be in \[0, 0.5\)"),
    (dict(hard_finish_epochs=0, hard_finish_nu_a=1.0), "needs a hard finish"),
    (dict(warmup_epochs=2), "leaves no epochs for nu to grow in"),
])
def test_bad_training_settings_are_refused(kw, msg):
    with pytest.raises(SbnHwError, match=msg):
        train(TrainConfig(model="tfc", epochs=3, **kw), load_dataset("digits"))


def test_hard_finish_backward_nu_sets_only_the_activations_gradient():
    """In the finish the forward is sign whatever nu is; hard_finish_nu_a sets the activations'
    gradient window, and the reloaded final state carries it."""
    from sbn_hw.nn import SelfBinarizingActivation, SelfBinarizingLinear
    from sbn_hw.train.trainer import set_final_state

    data = load_dataset("digits")
    cfg = TrainConfig(model="tfc", epochs=3, hard_finish_epochs=1, hard_finish_nu_a=2.0)
    res = train(cfg, data)
    assert [h["nu_a"] for h in res.history][-1] == 2.0 and res.history[-1]["test_agreement"] == 1.0
    model = set_final_state(res.model, cfg)
    assert {m.nu for m in model.modules() if isinstance(m, SelfBinarizingActivation)} == {2.0}
    assert {m.nu for m in model.modules() if isinstance(m, SelfBinarizingLinear)} == {cfg.nu_w_max}


def test_sbn_default_ends_in_the_hard_finish_and_nu_grows_only_while_smooth():
    """The default sbn run ends in the hard finish (lossless hardening); nu reaches its end value
    when the finish begins and is held through it; other methods have no finish."""
    from sbn_hw.train.trainer import nu_at

    from sbn_hw.train.trainer import HARD_FINISH_NU_A

    cfg = TrainConfig(model="tfc", epochs=6)
    assert (cfg.finish_epochs(), cfg.smooth_epochs()) == (4, 2)
    w, a = cfg.nu_schedules(steps_per_epoch=10)
    assert nu_at(cfg, w, 0, 10) == 1.0 and nu_at(cfg, w, 20, 10) == pytest.approx(cfg.nu_w_max)
    assert nu_at(cfg, a, 10, 10) < cfg.nu_a_max and nu_at(cfg, a, 59, 10) == pytest.approx(cfg.nu_a_max)
    h = train(cfg, load_dataset("digits")).history
    assert [r["hard_finish"] for r in h] == [False, False, True, True, True, True]
    assert h[-1]["test_agreement"] == 1.0 and h[-1]["nu_a"] == HARD_FINISH_NU_A  # the finish's backward window
    assert TrainConfig(method="ste", epochs=5).finish_epochs() == 0


@pytest.fixture(scope="module")
def digits_subset():
    """The digits data cut to 200 training frames: a couple of steps per epoch."""
    from sbn_hw.data import Dataset

    d = load_dataset("digits")
    return Dataset(d.name, d.x_train[:200], d.y_train[:200], d.x_test[:100], d.y_test[:100], d.pixel_max, d.image_shape)


@pytest.mark.parametrize("method", ["sbn", "ste", "lab", "sibnn", "siman"])
def test_every_method_trains_a_cnn(method, digits_subset):
    from sbn_hw.models import BinaryCNN, build_model

    torch.manual_seed(0)
    before = build_model("digits-cnn", 64, 10, method, image_shape=(8, 8)).state_dict()
    res = train(TrainConfig(model="digits-cnn", method=method, epochs=2, batch_size=100), digits_subset)
    assert isinstance(res.model, BinaryCNN) and res.model.input_shape == (1, 8, 8)
    after = res.model.state_dict()
    conv_weights = [k for k in after if k.endswith("weight") and after[k].dim() == 4]
    assert len(conv_weights) == 2 and all(not torch.equal(before[k], after[k]) for k in conv_weights)
    assert all(np.isfinite(h["loss"]) for h in res.history) and len(res.history) == 2
    assert res.history[-1]["test_agreement"] == 1.0  # each ends in its sign forward


def test_ste_clip_and_nu_schedule_reach_conv_layers(digits_subset):
    from sbn_hw.nn import SelfBinarizingConv2d
    from sbn_hw.nn.binarizers import STEConv2d

    res = train(TrainConfig(model="digits-cnn", method="ste", epochs=1, batch_size=50, lr=0.5), digits_subset)
    convs = [m for m in res.model.modules() if isinstance(m, STEConv2d)]
    assert convs and all(c.weight.abs().max() <= 1.0 for c in convs)
    assert any((c.weight.abs() == 1.0).any() for c in convs)  # the large steps did reach the clip
    cfg = TrainConfig(model="digits-cnn", epochs=3, hard_finish_epochs=1, batch_size=100)
    res = train(cfg, digits_subset)
    convs = [m for m in res.model.modules() if isinstance(m, SelfBinarizingConv2d)]
    assert len(convs) == 2 and all(c.hard_forward for c in convs)
    assert [c.nu for c in convs] == pytest.approx([cfg.nu_w_max] * 2)
    assert [h["nu"] for h in res.history][1] == pytest.approx(cfg.nu_w_max)


def test_cnn_on_data_of_another_shape_is_refused():
    from sbn_hw.data import Dataset

    d = load_dataset("digits")
    wrong = Dataset(d.name, d.x_train, d.y_train, d.x_test, d.y_test, d.pixel_max, (7, 7))
    with pytest.raises(SbnHwError, match=r"'digits-cnn' is convolutional: 64 input features are not a whole number"):
        train(TrainConfig(model="digits-cnn", epochs=1), wrong)
    with pytest.raises(SbnHwError, match=r"'cnn-s' needs images of at least .*8x8"):
        train(TrainConfig(model="cnn-s", epochs=1), d)


def test_predict_in_batches_equals_one_pass():
    from sbn_hw.models import build_model
    from sbn_hw.train.trainer import PREDICT_BATCH, predict

    torch.manual_seed(0)
    model = build_model("digits-cnn", 64, 10, "ste", image_shape=(8, 8)).eval()
    x = np.random.default_rng(0).random((PREDICT_BATCH + 7, 64), dtype=np.float32)
    with torch.no_grad():
        whole = model(torch.from_numpy(x)).argmax(1).numpy()
    assert np.array_equal(predict(model, x), whole) and len(predict(model, x[:0])) == 0


def test_shift_frames_translates_with_background_fill():
    from sbn_hw.train.trainer import shift_frames

    x = torch.zeros(1, 2 * 5 * 5)
    x.view(2, 5, 5)[1, 2, 2] = 1.0  # one lit pixel in channel 1
    seen = set()
    rng = np.random.default_rng(0)
    for _ in range(60):
        y = shift_frames(x, (5, 5), 1, -1.0, rng).view(2, 5, 5)
        assert y[0].eq(-1).sum() + y[0].eq(0).sum() == 25  # channel 0: zeros, or the fill shifted in
        (r, c), = torch.nonzero(y[1] == 1).tolist()
        seen.add((r - 2, c - 2))
    assert seen == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # every shift up to 1 pixel


def test_augmentation_is_deterministic_and_resumable(tmp_path, digits_subset):
    cfg = TrainConfig(model="digits-cnn", method="ste", epochs=2, batch_size=100, augment_shift=1)
    a, b = train(cfg, digits_subset), train(cfg, digits_subset)
    plain = train(TrainConfig(model="digits-cnn", method="ste", epochs=2, batch_size=100), digits_subset)
    sa, sb, sp = a.model.state_dict(), b.model.state_dict(), plain.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa) and not all(torch.equal(sa[k], sp[k]) for k in sa)

    def stop_after_one(rec):
        raise Interrupt

    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(Interrupt):
        train(cfg, digits_subset, stop_after_one, checkpoint=ckpt)
    resumed = train(cfg, digits_subset, checkpoint=ckpt, resume=True).model.state_dict()
    assert all(torch.equal(sa[k], resumed[k]) for k in sa)
    with pytest.raises(SbnHwError, match="augment-shift must be >= 0"):
        train(TrainConfig(model="digits-cnn", epochs=1, augment_shift=-1), digits_subset)


def test_checkpoints_from_before_lab_kernel_resume_as_they_were_made():
    """A checkpoint without lab_kernel: a lab CNN was trained with the 1x1 form; for any other
    model the setting changes nothing, so it matches whatever the resume asks for."""
    from dataclasses import asdict

    from sbn_hw.train import TrainConfig
    from sbn_hw.train.trainer import saved_config

    old_mlp = {k: v for k, v in asdict(TrainConfig(method="lab", model="tfc")).items() if k != "lab_kernel"}
    assert saved_config(old_mlp, TrainConfig(method="lab", model="tfc")) == asdict(TrainConfig(method="lab", model="tfc"))
    old_cnn = {k: v for k, v in asdict(TrainConfig(method="lab", model="digits-cnn")).items() if k != "lab_kernel"}
    assert saved_config(old_cnn, TrainConfig(method="lab", model="digits-cnn"))["lab_kernel"] == 1
