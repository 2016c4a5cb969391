"""build_model: MLPs as before, CNNs with an image shape, and clear errors."""

import pytest

from sbn_hw import SbnHwError
from sbn_hw.models import CONV_ZOO, MODEL_ZOO, BinaryCNN, BinaryMLP, build_model, conv_input_shape, zoo_names


def test_mlps_build_as_before():
    m = build_model("tfc", 64, 10, "sbn")
    assert isinstance(m, BinaryMLP) and m.hidden == MODEL_ZOO["tfc"]
    assert isinstance(build_model("tfc", 64, 10, "ste", image_shape=(8, 8)), BinaryMLP)  # shape ignored


def test_conv_models_take_the_image_shape():
    m = build_model("digits-cnn", 64, 10, "sbn", image_shape=(8, 8))
    assert isinstance(m, BinaryCNN) and m.input_shape == (1, 8, 8)
    assert build_model("cnv", 3072, 10, "sbn", image_shape=(32, 32)).input_shape == (3, 32, 32)
    # without a shape: a square image with 1 or 3 channels
    assert conv_input_shape("x", 784, None) == (1, 28, 28) and conv_input_shape("x", 3072, None) == (3, 32, 32)
    assert build_model("digits-cnn", 64, 10).input_shape == (1, 8, 8)


def test_unknown_model_lists_the_whole_zoo():
    with pytest.raises(SbnHwError, match="unknown model 'resnet'") as e:
        build_model("resnet", 64, 10)
    assert all(n in str(e.value) for n in (*MODEL_ZOO, *CONV_ZOO)) and set(zoo_names()) == {*MODEL_ZOO, *CONV_ZOO}


def test_unknown_method():
    with pytest.raises(SbnHwError, match="unknown method 'xnor'"):
        build_model("digits-cnn", 64, 10, "xnor", image_shape=(8, 8))


def test_features_that_do_not_match_the_image_shape():
    with pytest.raises(SbnHwError, match=r"100 input features are not a whole number of 28x28 images.*image shape"):
        build_model("cnn-s", 100, 10, "sbn", image_shape=(28, 28))
    with pytest.raises(SbnHwError, match=r"not a square image with 1 or 3 channels: pass the dataset's image shape"):
        build_model("cnn-s", 50, 10, "sbn")


def test_image_too_small_for_the_model():
    with pytest.raises(SbnHwError, match=r"'cnv' needs images of at least 32x32.*28x28.*digits-cnn"):
        build_model("cnv", 784, 10, "sbn", image_shape=(28, 28))
    with pytest.raises(SbnHwError, match=r"'cnn-s' needs images of at least"):
        build_model("cnn-s", 64, 10, "sbn", image_shape=(8, 8))
