"""Execute the FINN HW graph (FINN's own Python execution of its MVAU nodes), layer by layer."""

from __future__ import annotations

import numpy as np


def finn_layer_outputs(finn_model, x_hw: np.ndarray, input_dtype: str, progress=None) -> list[np.ndarray]:
    """Every hardware layer's (MVAU, Thresholding) output for all frames of the integer inputs x_hw (N, features)."""
    from finn.core.onnx_exec import execute_onnx

    from sbn_hw.compile.finn_frontend import hw_chain, input_layout

    iname = finn_model.graph.input[0].name
    feed_bits = finn_model.get_tensor_datatype(iname).name == "BINARY"
    xin = x_hw if (input_dtype != "BIPOLAR" or feed_bits) else 2 * x_hw - 1
    ishape = finn_model.get_tensor_shape(iname)
    chw = input_layout(finn_model)
    if chw is not None:  # the stream is NHWC, FINN's graph input NCHW
        c, h, w = chw
        xin = np.asarray(xin).reshape(len(xin), h, w, c).transpose(0, 3, 1, 2)
    mvau_outs = [link.output for link in hw_chain(finn_model)[0]]
    per_layer = [[] for _ in mvau_outs]
    for xi in (progress(xin) if progress is not None else xin):
        ctx = execute_onnx(finn_model, {iname: xi.reshape(ishape).astype(np.float32)}, return_full_exec_context=True)
        for i, name in enumerate(mvau_outs):
            per_layer[i].append(ctx[name].reshape(-1))
    return [np.rint(np.stack(p)).astype(np.int64) for p in per_layer]


def finn_outputs_in_our_terms(accel, finn_model, outputs: list[np.ndarray]) -> list[np.ndarray]:
    """FINN's per-MVAU outputs converted to the description's encoding (bits / accumulators)."""
    from qonnx.custom_op.registry import getCustomOp

    from sbn_hw.compile.finn_frontend import finn_output_to_ours

    from sbn_hw.compile.finn_frontend import hw_chain

    dtypes = [getCustomOp(link.nodes[-1]).get_nodeattr("outputDataType") if link.kind in ("mvau", "threshold")
              else None for link in hw_chain(finn_model)[0]]
    return [finn_output_to_ours(l, dt, f) for l, dt, f in zip(accel.layers, dtypes, outputs)]
