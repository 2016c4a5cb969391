"""Loaders for datasets a user keeps on disk (nothing is downloaded):

- MNIST and Fashion-MNIST: a folder with the four IDX files (optionally .gz), official split.
- CIFAR-10: a folder with the python batches (data_batch_1..5, test_batch). These are pickles;
  they are read with an unpickler that accepts only the numpy array pieces such a batch holds,
  so a crafted file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_TEST = "test_batch"


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (plain or .gz) as a numpy array."""
    raw = Path(path).read_bytes()
    if str(path).endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except OSError as e:
            raise SbnHwError(f"'{path}' is not a valid gzip file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise SbnHwError(f"'{path}' is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise SbnHwError(f"'{path}' is truncated (header)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    need = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != need:
        raise SbnHwError(f"'{path}' holds {len(raw) - header} data bytes, its header says {need}: the file is damaged")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims)


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise SbnHwError(f"missing '{name}' (or '{name}.gz') in '{folder}': the folder must hold the four "
                     f"MNIST-format IDX files: {', '.join(MNIST_FILES.values())}")


def load_idx_folder(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    folder = _check_folder(folder)
    arrays = {k: read_idx(_find(folder, n)) for k, n in MNIST_FILES.items()}
    for split in ("train", "test"):
        x, y = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise SbnHwError(f"'{folder}': {split} images {x.shape} and labels {y.shape} do not match (need N x H x W and N)")
    flat = lambda a: a.reshape(len(a), -1).astype(np.uint8)  # noqa: E731
    return flat(arrays["train_x"]), arrays["train_y"].astype(np.int64), flat(arrays["test_x"]), arrays["test_y"].astype(np.int64)


class CifarUnpickler(pickle.Unpickler):
    """Only what a CIFAR-10 python batch contains: dicts, lists, bytes and numpy arrays."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise SbnHwError(f"refusing to unpickle '{module}.{name}': not part of a CIFAR-10 batch (the file may be crafted)")


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        obj = CifarUnpickler(io.BytesIO(Path(path).read_bytes()), encoding="bytes").load()
    except SbnHwError:
        raise
    except Exception as e:
        raise SbnHwError(f"'{path}' is not a CIFAR-10 python batch ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict) or b"data" not in obj or b"labels" not in obj:
        raise SbnHwError(f"'{path}' is not a CIFAR-10 python batch (expected a dict with b'data' and b'labels')")
    x, y = np.asarray(obj[b"data"]), np.asarray(obj[b"labels"], dtype=np.int64)
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072 or len(x) != len(y):
        raise SbnHwError(f"'{path}': data {x.shape} {x.dtype} / labels {y.shape}; expected N x 3072 uint8 and N labels")
    return x, y


def load_cifar10_folder(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    folder = _check_folder(folder)
    missing = [n for n in CIFAR_TRAIN + [CIFAR_TEST] if not (folder / n).is_file()]
    if missing:
        raise SbnHwError(f"missing {missing} in '{folder}': point --data-dir at the extracted 'cifar-10-batches-py' folder")
    parts = [read_cifar_batch(folder / n) for n in CIFAR_TRAIN]
    x_te, y_te = read_cifar_batch(folder / CIFAR_TEST)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), x_te, y_te


def _check_folder(folder) -> Path:
    if folder is None:
        raise SbnHwError("this dataset is read from your files: pass --data-dir FOLDER")
    folder = Path(folder)
    if not folder.is_dir():
        raise SbnHwError(f"dataset folder '{folder}' does not exist")
    return folder
