"""QONNX execution as the reference for the accelerator, layer by layer, with exact ties told apart.

The hidden layers of a binary MLP end in a 1-bit activation quantizer; its output is what the
accelerator's layer emits as one bit per channel. QONNX computes the quantizer's input in float32,
so where the exact pre-activation lies on the quantizer's decision level (a tie: the integer
accumulator equals the threshold) float rounding may send it either way. Such a frame is reported
as a tie, not as a mismatch; every other difference is an error naming layer, frame and output.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.golden import GoldenMismatch

QUANT_OPS = ("BipolarQuant", "Quant", "BinaryQuant")
MATRIX_OPS = ("MatMul", "Gemm", "Conv")
# A pre-activation within this fraction of the layer's largest |pre-activation| (at least 1) of
# the decision level counts as a tie: far above float32 rounding of these sums, far below the step
# between neighbouring integer accumulator values after batch norm.
TIE_TOLERANCE = 1e-4


@dataclass
class QonnxTrace:
    """QONNX's view of N frames: per hidden layer the output bits (1 = +1, or 1 of {0,1}) and the
    signed distance of the quantizer's input from its decision level; then the model's outputs."""

    bits: list[np.ndarray]
    margin: list[np.ndarray]
    outputs: np.ndarray

    def save(self, path) -> None:
        np.savez(path, outputs=self.outputs, **{f"b{i}": b for i, b in enumerate(self.bits)},
                 **{f"m{i}": m for i, m in enumerate(self.margin)})

    @staticmethod
    def load(path) -> "QonnxTrace":
        with np.load(path) as z:
            n = sum(1 for k in z.files if k.startswith("b"))
            return QonnxTrace([z[f"b{i}"] for i in range(n)], [z[f"m{i}"] for i in range(n)], z["outputs"])

    def subset(self, idx) -> "QonnxTrace":
        return QonnxTrace([b[idx] for b in self.bits], [m[idx] for m in self.margin], self.outputs[idx])


def activation_quantizers(model) -> list:
    """The 1-bit activation quantizers in order: those that end hidden layers (quantizer nodes on
    a computed tensor with a matrix product upstream) and, first, an input quantizer (on the graph
    input or a computation of it alone, e.g. bnn_pynq's x*2-1). Weight quantizers are not."""
    downstream_of_matrix: set[str] = set()
    from_input: set[str] = {i.name for i in model.graph.input}
    found = []
    for n in model.graph.node:  # exported graphs are topologically sorted
        fed = any(i in downstream_of_matrix for i in n.input)
        if fed or n.op_type in MATRIX_OPS:
            downstream_of_matrix.update(n.output)
        on_input = not fed and n.op_type not in MATRIX_OPS and any(i in from_input for i in n.input)
        if on_input:
            from_input.update(n.output)
        if n.op_type in QUANT_OPS and (fed or on_input) and model.get_initializer(n.input[0]) is None:
            found.append(n)
    return found


def _decision(model, node, pre: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bits, signed distance from the decision level) for one 1-bit quantizer; for a multi-bit
    one, (integer level, distance from the nearest rounding boundary)."""
    if node.op_type in ("BipolarQuant", "BinaryQuant"):
        return (out > 0).astype(np.int64), pre
    scale = float(np.asarray(model.get_initializer(node.input[1])).reshape(-1)[0])
    zeropt = float(np.asarray(model.get_initializer(node.input[2])).reshape(-1)[0])
    bw = float(np.asarray(model.get_initializer(node.input[3])).reshape(-1)[0])
    signed = next((a.i for a in node.attribute if a.name == "signed"), 1)
    if bw != 1 or signed:
        # A multi-bit quantizer (an input quantizer: the hardware's threshold layer): its level in
        # units of the scale, and the distance of its input from the nearest rounding boundary.
        v = pre / scale + zeropt
        return np.rint(out / scale).astype(np.int64), v - np.floor(v) - 0.5
    # y = scale * (clip(round(x/scale + zeropt), 0, 1) - zeropt): 1 where x/scale + zeropt > 0.5
    return (out > scale * (0.5 - zeropt)).astype(np.int64), pre / scale + zeropt - 0.5


def _stream_order(t: np.ndarray) -> np.ndarray:
    """A QONNX activation flattened in the accelerator's order: NCHW feature maps as NHWC."""
    t = np.asarray(t)
    return (t.transpose(0, 2, 3, 1) if t.ndim == 4 else t).reshape(-1)


def quantized_layers(accel, outputs: list[np.ndarray]) -> tuple[list[str], list[np.ndarray]]:
    """The layers QONNX has a quantizer (or the output) for, with their outputs: threshold units,
    LAB units and MVAUs. Sliding windows and pools only move and select quantized values, and the next
    quantizer holds them to account."""
    last = len(accel.layers) - 1
    # A LAB unit's bits are its QONNX quantizer's; the MVAU feeding it emits accumulators, which no
    # quantizer holds (the LAB unit's bits hold them to account).
    pairs = [(l.name, o) for i, (l, o) in enumerate(zip(accel.layers, outputs))
             if l.kind in ("threshold", "lab") or (l.kind == "mvau" and (l.has_thresholds or i == last))]
    return [n for n, _ in pairs], [o for _, o in pairs]


def exact_layers(accel) -> set[str]:
    """Layers whose QONNX pre-activation is an exact integer sum plus one float32 constant (LAB
    units: harden.LABWindow), so a tie is exactly zero and any other difference is an error."""
    return {l.name for l in accel.layers if l.kind == "lab"}


def trace_qonnx(model, x: np.ndarray, progress=None) -> QonnxTrace:
    """Execute a QONNX file (as exported) frame by frame on float inputs x (N, features)."""
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    if len(x) == 0:
        raise SbnHwError("no frames to execute")
    model = cleanup_model(model)
    quants = activation_quantizers(model)
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    ishape = model.get_tensor_shape(iname)
    bits = [[] for _ in quants]
    margin = [[] for _ in quants]
    outs = []
    frames = progress(x) if progress is not None else x
    for xi in frames:
        ctx = execute_onnx(model, {iname: np.asarray(xi, np.float32).reshape(ishape)}, return_full_exec_context=True)
        for k, q in enumerate(quants):
            b, m = _decision(model, q, _stream_order(ctx[q.input[0]]), _stream_order(ctx[q.output[0]]))
            bits[k].append(b)
            margin[k].append(m.astype(np.float64))
        outs.append(ctx[oname].reshape(-1))
    return QonnxTrace([np.stack(b) for b in bits], [np.stack(m) for m in margin], np.stack(outs).astype(np.float64))


@dataclass
class QonnxComparison:
    frames: int
    tie_frames: list[int] = field(default_factory=list)  # frames whose first difference is an exact tie
    tie_layers: list[str] = field(default_factory=list)  # the layer of each tie
    max_abs_diff: float = 0.0  # on the output scores of the frames without ties

    def as_dict(self) -> dict:
        return {"frames": self.frames, "ties": len(self.tie_frames), "tie_frames": self.tie_frames[:50],
                "tie_layers": sorted(set(self.tie_layers)), "max_abs_diff": self.max_abs_diff}


def compare_with_qonnx(layer_names: list[str], layer_outputs: list[np.ndarray], scores: np.ndarray,
                       trace: QonnxTrace, what: str, exact: Collection[str] = ()) -> QonnxComparison:
    """Hold the accelerator's per-layer outputs (bits of hidden layers) and host scores to QONNX.

    Raises GoldenMismatch naming the first differing layer, frame and output unless the difference
    is an exact tie; tied frames are returned (their later layers legitimately differ). An input
    quantizer in QONNX that the accelerator has no layer for (a bipolar input quantizer on bipolar
    input, dropped at compile time as the identity) is skipped. Layers named in `exact`
    (exact_layers) allow no tie but an exact zero."""
    hidden = len(layer_outputs) - 1
    if len(trace.bits) == hidden + 1:
        trace = QonnxTrace(trace.bits[1:], trace.margin[1:], trace.outputs)
    if len(trace.bits) != hidden:
        raise SbnHwError(f"QONNX has {len(trace.bits)} hidden activation quantizers, {what} has {hidden} "
                         "thresholded layers: the graph is not the chain sbn-hw compiled")
    n = len(scores)
    live = np.ones(n, dtype=bool)  # frames with no tie so far
    res = QonnxComparison(n)
    for k in range(hidden):
        got, want, margin = layer_outputs[k], trace.bits[k], trace.margin[k]
        tol = 0.0 if layer_names[k] in exact else TIE_TOLERANCE * max(1.0, float(np.abs(margin).max(initial=0)))
        diff = (got != want) & live[:, None]
        tie = np.abs(margin) <= tol
        real = diff & ~tie
        if real.any():
            f, o = (int(v) for v in np.argwhere(real)[0])
            raise GoldenMismatch(
                f"layer {layer_names[k]}: {what} differs from QONNX execution on {int(real.any(1).sum())} frames; "
                f"first at frame {f}, output {o}: got {int(got[f, o])}, QONNX {int(want[f, o])} "
                f"(QONNX pre-activation {margin[f, o]:+.4g} from the decision level, not a tie)")
        tied = np.flatnonzero(diff.any(1))
        res.tie_frames += [int(i) for i in tied]
        res.tie_layers += [layer_names[k]] * len(tied)
        live[tied] = False
    q = trace.outputs.reshape(n, -1)
    if live.any():
        d = np.abs(q[live] - scores[live])
        res.max_abs_diff = float(d.max())
        tol = 1e-4 * max(1.0, float(np.abs(q).max()))
        if res.max_abs_diff > tol:
            f = int(np.flatnonzero(live)[np.unravel_index(d.argmax(), d.shape)[0]])
            raise GoldenMismatch(f"layer {layer_names[-1]}: {what} output scores differ from QONNX execution at frame {f} "
                                 f"(max |diff| {res.max_abs_diff:.3g} > {tol:.2g})")
    res.tie_frames.sort()
    return res
