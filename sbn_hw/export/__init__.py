"""Export the hardened Brevitas model to QONNX and execute QONNX files."""

from sbn_hw.export.qonnx_export import export_model, load_onnx, run_qonnx

__all__ = ["export_model", "load_onnx", "run_qonnx"]
