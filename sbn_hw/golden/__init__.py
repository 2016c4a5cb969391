"""The golden model: a bit-packed numpy executor of the accelerator description."""

from sbn_hw.golden.executor import GoldenMismatch, compare_layer_outputs, run_accelerator, run_layer

__all__ = ["GoldenMismatch", "compare_layer_outputs", "run_accelerator", "run_layer"]
