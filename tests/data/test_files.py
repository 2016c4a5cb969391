"""On-disk loaders, on small files written here in the real formats."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.data import load_dataset
from sbn_hw.data.files import CIFAR_TEST, CIFAR_TRAIN, MNIST_FILES, read_cifar_batch, read_idx


def write_idx(path, array, gz=False):
    codes = {np.dtype(np.uint8): 0x08}
    raw = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def write_mnist(folder, n_train=12, n_test=5, gz=False):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    suffix = ".gz" if gz else ""
    for split, n in (("train", n_train), ("test", n_test)):
        write_idx(folder / (MNIST_FILES[f"{split}_x"] + suffix), rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), gz)
        write_idx(folder / (MNIST_FILES[f"{split}_y"] + suffix), rng.integers(0, 10, n, dtype=np.uint8), gz)


@pytest.mark.parametrize("name,gz", [("mnist", False), ("fashion-mnist", True)])
def test_idx_folder(tmp_path, name, gz):
    write_mnist(tmp_path / "d", gz=gz)
    d = load_dataset(name, data_dir=tmp_path / "d")
    assert d.x_train.shape == (12, 784) and d.x_test.shape == (5, 784) and d.pixel_max == 255
    assert d.x_train.dtype == np.uint8 and d.y_test.dtype == np.int64


def test_idx_errors(tmp_path):
    with pytest.raises(SbnHwError, match="pass --data-dir"):
        load_dataset("mnist")
    with pytest.raises(SbnHwError, match="does not exist"):
        load_dataset("mnist", data_dir=tmp_path / "nope")
    (tmp_path / "e").mkdir()
    with pytest.raises(SbnHwError, match="missing 'train-images-idx3-ubyte'"):
        load_dataset("mnist", data_dir=tmp_path / "e")
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(SbnHwError, match="bad magic"):
        read_idx(bad)
    write_idx(bad, np.zeros((3, 4), np.uint8))
    bad.write_bytes(bad.read_bytes()[:-2])
    with pytest.raises(SbnHwError, match="damaged"):
        read_idx(bad)


def write_cifar(folder, n=4):
    rng = np.random.default_rng(1)
    folder.mkdir(exist_ok=True)
    for name in CIFAR_TRAIN + [CIFAR_TEST]:
        batch = {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, n).tolist(),
                 b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"filenames": [b"x.png"] * n}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)


def test_cifar_folder(tmp_path):
    write_cifar(tmp_path / "c")
    d = load_dataset("cifar10", data_dir=tmp_path / "c")
    assert d.x_train.shape == (20, 3072) and d.x_test.shape == (4, 3072) and d.image_shape == (32, 32)


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/sbn_hw_pwned",))


def test_crafted_cifar_pickle_runs_no_code(tmp_path):
    p = tmp_path / "data_batch_1"
    p.write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}, protocol=2))
    with pytest.raises(SbnHwError, match="refusing to unpickle 'posix.system'"):
        read_cifar_batch(p)
    assert not os.path.exists("/tmp/sbn_hw_pwned")


def test_malformed_cifar(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(b"not a pickle")
    with pytest.raises(SbnHwError, match="not a CIFAR-10 python batch"):
        read_cifar_batch(p)
    p.write_bytes(pickle.dumps({b"data": np.zeros((2, 5), np.uint8), b"labels": [1, 2]}))
    with pytest.raises(SbnHwError, match="expected N x 3072"):
        read_cifar_batch(p)
    (tmp_path / "c").mkdir()
    with pytest.raises(SbnHwError, match="cifar-10-batches-py"):
        load_dataset("cifar10", data_dir=tmp_path / "c")


def test_train_from_idx_folder_through_cli(tmp_path, monkeypatch):
    import json
    import sys

    from sbn_hw.cli import main

    write_mnist(tmp_path / "d", n_train=64, n_test=16)
    monkeypatch.setattr(sys, "argv", ["sbn-hw", "train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path / "d"),
                                      "--model", "tfc", "--epochs", "1", "--out", str(tmp_path / "b")])
    try:
        main()
    except SystemExit as e:
        assert e.code == 0
    rec = json.loads((tmp_path / "b" / "train" / "stage.json").read_text())
    assert rec["config"]["dataset"] == "fashion-mnist" and len(rec["history"]) == 1
