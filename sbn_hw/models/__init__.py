"""The model zoo: binary MLPs, all layer sizes in one place."""

from sbn_hw.models.mlp import METHODS, MODEL_ZOO, BinaryMLP, SelfBinarizingMLP, build_model, default_model_for

__all__ = ["METHODS", "MODEL_ZOO", "BinaryMLP", "SelfBinarizingMLP", "build_model", "default_model_for"]
