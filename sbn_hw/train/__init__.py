"""Training of self-binarizing models."""

from sbn_hw.train.trainer import TrainConfig, TrainResult, evaluate, train

__all__ = ["TrainConfig", "TrainResult", "evaluate", "train"]
