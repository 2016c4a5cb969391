import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.data import hardware_input, load_dataset, model_input


def test_digits_split_is_fixed_and_seeded():
    a, b = load_dataset("digits", seed=0), load_dataset("digits", seed=0)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert (len(a.x_train), len(a.x_test), a.features, a.classes, a.pixel_max) == (1437, 360, 64, 10, 16)
    c = load_dataset("digits", seed=1)
    assert not np.array_equal(a.x_test, c.x_test)


def test_mnist5k_is_embedded():
    d = load_dataset("mnist5k")
    assert (len(d.x_train), len(d.x_test), d.features, d.pixel_max) == (4000, 1000, 784, 255)
    assert d.x_train.dtype == np.uint8


def test_input_encodings_agree():
    x = np.array([[0, 8, 9, 16]], dtype=np.uint8)
    np.testing.assert_allclose(model_input(x, 16, "int8"), x / 16)
    np.testing.assert_array_equal(hardware_input(x, 16, "binary"), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(model_input(x, 16, "binary"), [[-1, -1, 1, 1]])


def test_unknown_dataset_and_mode():
    with pytest.raises(SbnHwError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")
    with pytest.raises(SbnHwError, match="unknown input mode"):
        model_input(np.zeros((1, 2)), 16, "float")
