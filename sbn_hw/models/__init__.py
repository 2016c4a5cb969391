"""The model zoo: binary MLPs and binary CNNs, all layer sizes in one place per kind."""

from sbn_hw.models.cnn import CONV_ZOO, POOL, BinaryCNN, ConvTopology
from sbn_hw.models.layers import METHODS
from sbn_hw.models.mlp import MODEL_ZOO, BinaryMLP, SelfBinarizingMLP
from sbn_hw.models.zoo import DEFAULT_MODEL, build_model, conv_input_shape, default_model_for, is_conv_model, zoo_names

__all__ = ["CONV_ZOO", "DEFAULT_MODEL", "METHODS", "MODEL_ZOO", "POOL", "BinaryCNN", "BinaryMLP", "ConvTopology",
           "SelfBinarizingMLP", "build_model", "conv_input_shape", "default_model_for", "is_conv_model", "zoo_names"]
