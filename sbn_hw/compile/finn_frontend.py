"""QONNX -> FINN hardware graph with FINN's own transforms, then -> the accelerator description.

The chain follows FINN's build steps for binary MLPs: tidy-up, ConvertQONNXtoFINN, Streamline,
ConvertBipolarMatMulToXnorPopcount, Streamline, RoundAndClipThresholds, then HW-layer inference
(InferBinaryMatrixVectorActivation / InferQuantizedMatrixVectorActivation) giving MVAU nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import helper

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import Accelerator, LayerSpec, ThresholdSpec, check_input_type, clamp_input_thresholds
from sbn_hw.compile.bbn import clamp_thresholds

# Ops a binary MLP exported by Brevitas may contain (before conversion).
# Pow and Sqrt appear in TensorNorm (brevitas_examples.bnn_pynq) on constants only: constant folding
# removes them, and one left on a computed tensor is refused after streamlining.
SUPPORTED_QONNX_OPS = {
    "BipolarQuant", "Quant", "BinaryQuant", "Transpose", "MatMul", "Gemm", "BatchNormalization",
    "Mul", "Add", "Sub", "Div", "Identity", "Dropout", "Flatten", "Reshape", "Constant", "Pow", "Sqrt",
    "Conv", "MaxPool",
}
# Ops that may follow the last MVAU and run on the host as a float affine.
HOST_TAIL_OPS = {"Mul", "Add"}


def check_supported_ops(model) -> None:
    for n in model.graph.node:
        if n.op_type not in SUPPORTED_QONNX_OPS:
            raise SbnHwError(
                f"unsupported op '{n.op_type}' (node '{n.name or n.output[0]}'): sbn-hw compiles binary networks "
                "made of QuantLinear / QuantConv2d (unpadded), BatchNorm, MaxPool2d and 1-bit QuantIdentity layers; "
                "remove or replace this layer"
            )


def _give_gemm_a_bias(model):
    """qonnx's GemmToMatMul needs Gemm's optional C input (torch's dynamo exporter leaves it out
    for bias-free Linear layers): add a zero bias, which streamlining later removes."""
    for n in model.graph.node:
        if n.op_type == "Gemm" and len(n.input) == 2:
            shape = model.get_tensor_shape(n.output[0])
            name = model.make_new_valueinfo_name()
            model.set_initializer(name, np.zeros(shape[-1:], dtype=np.float32))
            n.input.append(name)
    return model


def _tidy(model):
    from qonnx.transformation.fold_constants import FoldConstants
    from qonnx.transformation.general import GiveReadableTensorNames, GiveUniqueNodeNames, RemoveStaticGraphInputs
    from qonnx.transformation.infer_datatypes import InferDataTypes
    from qonnx.transformation.infer_shapes import InferShapes

    model = model.transform(InferShapes()).transform(FoldConstants())
    model = model.transform(GiveUniqueNodeNames()).transform(GiveReadableTensorNames())
    return model.transform(InferDataTypes()).transform(RemoveStaticGraphInputs())


def _flatten_input(model):
    """Drop a leading Flatten/Reshape so the accelerator sees a flat (1, features) vector."""
    first = model.find_consumers(model.graph.input[0].name)
    if len(first) == 1 and first[0].op_type in ("Flatten", "Reshape"):
        node = first[0]
        out_shape = model.get_tensor_shape(node.output[0])
        inp = model.graph.input[0]
        model.graph.node.remove(node)
        for n in model.find_consumers(node.output[0]) or []:
            for i, name in enumerate(n.input):
                if name == node.output[0]:
                    n.input[i] = inp.name
        model.set_tensor_shape(inp.name, out_shape)
    return model


def _prepend_input_scale(model, input_dtype: str, input_scale: float):
    """The accelerator takes integers: insert x_float = x_int * input_scale at the graph input."""
    from qonnx.core.datatype import DataType

    inp = model.graph.input[0]
    shape = model.get_tensor_shape(inp.name)
    int_name = "global_in_int"
    new_in = helper.make_tensor_value_info(int_name, inp.type.tensor_type.elem_type, shape)
    if input_scale != 1.0:
        sc = model.make_new_valueinfo_name()
        model.set_initializer(sc, np.asarray(input_scale, dtype=np.float32))
        model.graph.node.insert(0, helper.make_node("Mul", [int_name, sc], [inp.name]))
        model.graph.input.remove(inp)
        model.graph.value_info.append(inp)
    else:
        model.graph.input.remove(inp)
        model.rename_tensor(inp.name, int_name)
    model.graph.input.insert(0, new_in)
    model.set_tensor_datatype(int_name, DataType[input_dtype])
    return model


def _drop_bipolar_input_threshold(model, input_dtype: str):
    """A bipolar input quantizer on already-bipolar input is the identity: remove it."""
    from qonnx.core.datatype import DataType

    inp = model.graph.input[0].name
    first = model.find_consumers(inp)
    if input_dtype != "BIPOLAR" or not first or len(first) != 1 or first[0].op_type != "MultiThreshold":
        return model
    node = first[0]
    t = model.get_initializer(node.input[1])
    if t is None or t.shape[-1] != 1 or not np.all((t > -1) & (t <= 1)):
        return model
    from qonnx.custom_op.registry import getCustomOp

    chain, cur = [node], node
    op = getCustomOp(node)
    if op.get_nodeattr("out_dtype") != "BIPOLAR":
        # A {0,1} MultiThreshold followed by Mul 2 and Add -1 maps it back to {-1,+1}: bypass all
        # three. Other constants would change the values: refuse rather than drop them.
        for op_type, want in (("Mul", 2.0), ("Add", -1.0)):
            nxt = model.find_consumer(cur.output[0])
            if nxt is None or nxt.op_type != op_type:
                return model
            const = model.get_initializer(nxt.input[1])
            if const is None or not np.allclose(np.asarray(const, np.float64), want):
                got = "a computed tensor" if const is None else np.unique(np.asarray(const)).tolist()[:4]
                raise SbnHwError(
                    f"the input quantizer '{node.name}' is followed by {op_type} {got}, not the bipolar mapping "
                    f"(Mul 2, Add -1) that --input-dtype BIPOLAR assumes: export the input quantizer as a bipolar "
                    "QuantIdentity, or compile with the integer --input-dtype your inputs really have")
            chain.append(nxt)
            cur = nxt
        if float(op.get_nodeattr("out_bias")) != 0.0:
            raise SbnHwError(f"the input quantizer '{node.name}' has out_bias {op.get_nodeattr('out_bias')}, "
                             "not the {0,1} form sbn-hw maps to bipolar input; use a bipolar QuantIdentity")
    for c in model.find_consumers(cur.output[0]):
        for i, name in enumerate(c.input):
            if name == cur.output[0]:
                c.input[i] = inp
    for n in chain:
        model.graph.node.remove(n)
    model.set_tensor_datatype(inp, DataType["BIPOLAR"])
    return model


def qonnx_to_finn_hw(model, input_dtype: str = "UINT8", input_scale: float = 1.0):
    """Run FINN's transforms on a loaded QONNX ModelWrapper; returns the FINN HW graph."""
    from finn.transformation.fpgadataflow.convert_to_hw.binary_matrix_vector_activation import (
        InferBinaryMatrixVectorActivation,
    )
    from finn.transformation.fpgadataflow.convert_to_hw.quantized_matrix_vector_activation import (
        InferQuantizedMatrixVectorActivation,
    )
    from finn.transformation.fpgadataflow.convert_to_hw.conv_inp_gen import InferConvInpGen
    from finn.transformation.fpgadataflow.convert_to_hw.pool import InferPool
    from finn.transformation.fpgadataflow.convert_to_hw.thresholding import InferThresholdingLayer
    from finn.transformation.move_reshape import RemoveCNVtoFCFlatten
    from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
    from finn.transformation.streamline.reorder import MakeMaxPoolNHWC
    from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul
    from finn.transformation.streamline import Streamline, absorb
    from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds
    from qonnx.transformation.bipolar_to_xnor import ConvertBipolarMatMulToXnorPopcount
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    check_input_type(input_dtype, input_scale)
    check_supported_ops(model)
    model = cleanup_model(model)
    model = _flatten_input(_tidy(_give_gemm_a_bias(_tidy(model)).transform(GemmToMatMul())))
    model = _tidy(model.transform(ConvertQONNXtoFINN()))
    model = _drop_bipolar_input_threshold(model, input_dtype)
    model = _tidy(_prepend_input_scale(model, input_dtype, input_scale))
    model = model.transform(absorb.AbsorbScalarBiasIntoMultiThreshold()).transform(Streamline())
    conv = bool(model.get_nodes_by_op_type("Conv"))
    if conv:  # FINN's step_streamline for convolutional networks: NHWC, convolutions as Im2Col + MatMul
        model = model.transform(LowerConvsToMatMul()).transform(MakeMaxPoolNHWC())
        model = model.transform(absorb.AbsorbTransposeIntoMultiThreshold()).transform(MakeMaxPoolNHWC())
        model = model.transform(absorb.AbsorbConsecutiveTransposes())
    model = model.transform(ConvertBipolarMatMulToXnorPopcount()).transform(Streamline())
    model = model.transform(RoundAndClipThresholds())
    model = model.transform(InferBinaryMatrixVectorActivation()).transform(InferQuantizedMatrixVectorActivation())
    # A quantizer left on the input (bnn_pynq's input QuantIdentity, preprocessing folded into its
    # thresholds by streamlining) becomes FINN's Thresholding layer.
    model = model.transform(InferThresholdingLayer())
    if conv:  # finn-plus: pooling as sliding window + Pool (InferPool before InferConvInpGen)
        model = model.transform(InferPool()).transform(InferConvInpGen()).transform(RemoveCNVtoFCFlatten())
        # An input Thresholding inferred on NCHW leaves NHWC -> NCHW -> NHWC transposes behind it.
        model = model.transform(absorb.AbsorbConsecutiveTransposes())
    return _tidy(model)


HW_LAYER_OPS = ("MVAU", "Thresholding", "ConvolutionInputGenerator", "Pool")


@dataclass
class ChainLink:
    """One layer of the accelerator and the FINN nodes it is made of (a max-pool is FINN's sliding
    window + Pool pair). `name`: the layer's name, as FINN's folding files count it."""

    kind: str
    nodes: list
    name: str

    @property
    def output(self) -> str:
        return self.nodes[-1].output[0]


def input_layout(model) -> tuple[int, int, int] | None:
    """(C, H, W) when the graph takes NCHW images and transposes them to NHWC first (a
    convolutional network: the host streams NHWC), else None."""
    first = model.find_consumers(model.graph.input[0].name) or []
    if len(first) == 1 and first[0].op_type == "Transpose":
        perm = next((list(a.ints) for a in first[0].attribute if a.name == "perm"), None)
        shape = model.get_tensor_shape(model.graph.input[0].name)
        if perm == [0, 2, 3, 1] and shape is not None and len(shape) == 4:
            return int(shape[1]), int(shape[2]), int(shape[3])
    return None


def hw_chain(model) -> tuple[list[ChainLink], list]:
    """The accelerator's layers in order (each with its FINN nodes) and the host-side tail nodes
    after them; errors on anything else."""
    nodes = list(model.graph.node)
    if input_layout(model) is not None:
        nodes.pop(0)  # the NCHW -> NHWC transpose: the host streams NHWC
    links: list[ChainLink] = []
    counts = {"window": 0, "pool": 0}
    while nodes and nodes[0].op_type in HW_LAYER_OPS:
        n = nodes.pop(0)
        if n.op_type == "ConvolutionInputGenerator":
            if nodes and nodes[0].op_type == "Pool":
                links.append(ChainLink("pool", [n, nodes.pop(0)], f"StreamingMaxPool_{counts['pool']}"))
                counts["pool"] += 1
            else:
                links.append(ChainLink("window", [n], f"ConvolutionInputGenerator_{counts['window']}"))
                counts["window"] += 1
        elif n.op_type == "Pool":
            raise SbnHwError(f"pooling node '{n.name}' has no sliding window in front of it: not a graph sbn-hw knows")
        else:
            links.append(ChainLink("mvau" if n.op_type == "MVAU" else "threshold", [n], n.name))
    for n in nodes:
        if n.op_type not in HOST_TAIL_OPS:
            hint = ""
            if n.op_type in ("MatMul", "XnorPopcountMatMul", "MultiThreshold"):
                w = model.get_initializer(n.input[1]) if len(n.input) > 1 else None
                dt = model.get_tensor_datatype(n.input[1]) if len(n.input) > 1 else None
                if n.op_type == "MatMul" and w is not None and dt is not None and dt.bitwidth() > 1:
                    raise SbnHwError(
                        f"layer '{n.name}' has non-binary weights (datatype {dt.name}): quantize every Linear "
                        "layer's weights to 1 bit (e.g. brevitas SignedBinaryWeightPerTensorConst)"
                    )
                hint = " (is every activation between Linear layers a bipolar QuantIdentity with BatchNorm before it?)"
            if n.op_type == "FMPadding":
                hint = " (sbn-hw's convolutions are unpadded: use padding=0)"
            if n.op_type in ("MaxPoolNHWC", "MaxPool"):
                hint = " (put MaxPool2d after the activation quantizer, as bnn_pynq's CNV does, with stride = kernel)"
            raise SbnHwError(f"unsupported op '{n.op_type}' (node '{n.name}') left after FINN streamlining{hint}")
    if not any(l.kind == "mvau" for l in links):
        raise SbnHwError("no binary Linear layer found: the model has no matrix layer FINN could map to an MVAU")
    if links[-1].kind != "mvau":
        raise SbnHwError(f"the hardware chain ends in '{links[-1].nodes[-1].name}', not a matrix layer: "
                         "sbn-hw accelerators end in a Linear layer whose output goes to the host")
    return links, nodes


def window_layer(model, link: ChainLink):
    """FINN's ConvolutionInputGenerator (+ Pool for a max-pool) -> WindowSpec / PoolSpec."""
    from qonnx.custom_op.registry import getCustomOp

    from sbn_hw.compile.accel import PoolSpec, WindowSpec

    swu = link.nodes[0]
    op = getCustomOp(swu)
    k, s = op.get_nodeattr("ConvKernelDim"), op.get_nodeattr("Stride")
    (ih, iw), c = op.get_nodeattr("IFMDim"), int(op.get_nodeattr("IFMChannels"))
    dil = op.get_nodeattr("Dilation")
    # A pool's window is per channel (FINN marks it depthwise); a convolution's must not be.
    depthwise = bool(op.get_nodeattr("depthwise")) and link.kind == "window"
    if k[0] != k[1] or s[0] != s[1] or any(d != 1 for d in dil) or depthwise:
        raise SbnHwError(f"'{swu.name}': only square kernels with equal strides, no dilation and no depthwise "
                         f"convolution (kernel {k}, stride {s}, dilation {dil})")
    idt = model.get_tensor_datatype(swu.input[0])
    lo, hi = int(idt.min()), int(idt.max())
    if link.kind == "window":
        return WindowSpec(link.name, int(ih), int(iw), c, int(k[0]), int(s[0]), 1, lo, hi)
    pool = getCustomOp(link.nodes[1])
    if pool.get_nodeattr("Function") != "MaxPool" or s[0] != k[0]:
        raise SbnHwError(f"'{link.nodes[1].name}': only max-pooling with stride = kernel size is supported "
                         f"(got {pool.get_nodeattr('Function')}, kernel {k[0]}, stride {s[0]})")
    return PoolSpec(link.name, int(ih), int(iw), c, int(k[0]), 1, lo, hi)


def _tail_affine(model, tail, mh: int) -> tuple[np.ndarray, np.ndarray]:
    scale, bias = np.ones(mh), np.zeros(mh)
    for n in tail:
        p = model.get_initializer(n.input[1])
        if p is None:
            raise SbnHwError(f"host op '{n.name}' has a non-constant operand; cannot run it on the host")
        p = np.broadcast_to(np.asarray(p, np.float64).reshape(-1), (mh,))
        if n.op_type == "Mul":
            scale, bias = scale * p, bias * p
        else:
            bias = bias + p
    return scale, bias


def layer_mode(xnor: bool, in_dtype: str, w_dtype: str) -> str:
    """Our encoding for a FINN MVAU (binaryXnorMode, input and weight datatypes)."""
    if xnor:
        return "xnor"
    if w_dtype in ("BINARY", "UINT1"):
        if in_dtype != "BIPOLAR":
            raise SbnHwError(f"{{0,1}} weights need bipolar inputs, got {in_dtype}")
        return "and_w"
    return "int"


def threshold_layer(model, node) -> ThresholdSpec:
    """FINN's Thresholding node -> ThresholdSpec (integer input; thresholds clamped to its range)."""
    from qonnx.custom_op.registry import getCustomOp

    op = getCustomOp(node)
    idt = model.get_tensor_datatype(node.input[0])
    if not idt.is_integer():
        raise SbnHwError(f"thresholding layer '{node.name}' takes {idt.name} input: the accelerator's input must be "
                         "integers (give --input-dtype and --input-scale so that x_float = x_int * scale)")
    odt = op.get_nodeattr("outputDataType")
    if odt == "BIPOLAR":
        raise SbnHwError(f"thresholding layer '{node.name}' emits BIPOLAR values, which FINN only leaves before "
                         "non-XNOR layers; sbn-hw needs the bits of an XNOR layer's input here")
    lo, hi = int(idt.min()), int(idt.max())
    t = model.get_initializer(node.input[1])
    elements = int(np.prod(model.get_tensor_shape(node.input[0])[1:]))
    return ThresholdSpec(node.name, elements, 1, lo, hi, clamp_input_thresholds(np.atleast_2d(t), lo, hi),
                         int(op.get_nodeattr("ActVal")))


def finn_output_to_ours(layer, node_output_dtype: str, values: np.ndarray) -> np.ndarray:
    """FINN's MVAU output in our terms: bits for thresholded layers (FINN may emit +-1), and the
    accumulator for the last layer (FINN emits the dot product for {0,1} weights). A threshold
    layer's output is FINN's Thresholding output as it is."""
    if layer.kind in ("threshold", "window", "pool"):
        return values
    if layer.has_thresholds:
        return (values > 0).astype(np.int64) if node_output_dtype == "BIPOLAR" else values
    if layer.mode == "and_w":
        return (values + layer.weights.sum(axis=1)) // 2
    return values


def finn_hw_to_accelerator(model, input_dtype: str, input_scale: float, name: str = "sbn_accel") -> Accelerator:
    """Read the MVAU chain of a FINN HW graph into the typed accelerator description."""
    from qonnx.custom_op.registry import getCustomOp

    links, tail = hw_chain(model)
    mvaus = [l.nodes[-1] for l in links]
    layers = []
    for i, (link, node) in enumerate(zip(links, mvaus)):
        if link.kind in ("window", "pool"):
            layers.append(window_layer(model, link))
            continue
        if node.op_type == "Thresholding":
            layers.append(threshold_layer(model, node))
            continue
        op = getCustomOp(node)
        vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
        mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
        xnor = op.get_nodeattr("binaryXnorMode") == 1
        idt = model.get_tensor_datatype(node.input[0])
        wdt = model.get_tensor_datatype(node.input[1])
        w = model.get_initializer(node.input[1]).T  # FINN stores (MW, MH)
        if wdt.name not in ("BINARY", "BIPOLAR"):
            raise SbnHwError(f"layer '{node.name}' has non-binary weights ({wdt.name}); quantize weights to 1 bit")
        bits = (w > 0).astype(np.uint8)  # BINARY 1 / BIPOLAR +1 both mean +1; {0,1} weights: 1
        mode = layer_mode(xnor, idt.name, wdt.name)
        lo, hi = (0, 1) if mode != "int" else (int(idt.min()), int(idt.max()))
        thr = le = None
        if op.get_nodeattr("noActivation") == 0:
            t = model.get_initializer(node.input[2])
            if t.shape[-1] != 1:
                raise SbnHwError(f"layer '{node.name}' has {t.shape[-1]} thresholds per channel; only 1-bit activations are supported")
            t = np.broadcast_to(t[:, 0], (mh,))
            if not np.all(t == np.round(t)):
                raise SbnHwError(f"layer '{node.name}' has non-integer thresholds after FINN rounding")
            if mode == "and_w":  # FINN thresholds the dot product 2*acc - popcount(w): move to acc units
                t = np.ceil((t + bits.sum(axis=1)) / 2)
            spec = LayerSpec(node.name, mw, mh, 1, 1, mode, lo, hi, bits)
            le = np.zeros(mh, dtype=bool)
            thr = clamp_thresholds(t, le, spec.acc_range)
        elif i != len(mvaus) - 1:
            raise SbnHwError(f"layer '{node.name}' has no activation but is not the last layer")
        layers.append(LayerSpec(node.name, mw, mh, op.get_nodeattr("PE"), op.get_nodeattr("SIMD"),
                                mode, lo, hi, bits, thr, le, vectors=vectors))
    last = layers[-1]
    if last.vectors != 1:
        raise SbnHwError(f"the last layer '{last.name}' is a convolution ({last.vectors} output pixels): end the "
                         "network in a Linear layer (after a Flatten) whose scores go to the host")
    scale, bias = _tail_affine(model, tail, last.mh)
    if last.mode == "and_w":  # FINN's last output is the dot product 2*acc - popcount(w)
        scale, bias = 2 * scale, bias - scale * last.weights.sum(axis=1)
    return Accelerator(tuple(layers), input_dtype, float(input_scale), scale, bias, name, input_layout(model))


def set_finn_folding(model, folding: dict[str, tuple[int, int]]):
    """Write the folding into the FINN nodes (so the saved FINN graph carries it): MVAU PE/SIMD,
    Thresholding PE, a sliding window's SIMD, a pool's PE (on its window and Pool nodes)."""
    from qonnx.custom_op.registry import getCustomOp

    for link in hw_chain(model)[0]:
        pe, simd = folding[link.name]
        for node in link.nodes:
            op = getCustomOp(node)
            if node.op_type == "MVAU":
                op.set_nodeattr("PE", int(pe))
                op.set_nodeattr("SIMD", int(simd))
            elif node.op_type == "ConvolutionInputGenerator":
                op.set_nodeattr("SIMD", int(simd if link.kind == "window" else pe))
            else:
                op.set_nodeattr("PE", int(pe))
    return model
