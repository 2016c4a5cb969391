"""Compile: QONNX -> FINN HW graph -> folded accelerator description."""

from sbn_hw.compile.accel import Accelerator, LayerSpec
from sbn_hw.compile.pipeline import compile_qonnx

__all__ = ["Accelerator", "LayerSpec", "compile_qonnx"]
