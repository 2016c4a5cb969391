"""The model zoo: binary MLPs, all layer sizes in one place."""

from sbn_hw.models.mlp import MODEL_ZOO, SelfBinarizingMLP, build_model, default_model_for

__all__ = ["MODEL_ZOO", "SelfBinarizingMLP", "build_model", "default_model_for"]
