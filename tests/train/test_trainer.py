"""Determinism and checkpoint/resume equality."""

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
