"""train -> export -> compile -> simulate -> synth, each a function over a build directory.

Every stage prints progress, checks its result against the stage before it, and records what it
measured in <stage>/stage.json (written last, so a stage without it did not finish)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.pipeline.builddir import BuildDir
from sbn_hw.pipeline.progress import console, progress_iter

# ---------------------------------------------------------------------------------------- train


def run_train(out: Path, cfg, resume: bool = False) -> dict:
    from sbn_hw.data import load_dataset
    from sbn_hw.train import train
    from sbn_hw.train.trainer import device, load_checkpoint

    bd = BuildDir(out)
    d = bd.begin("train")  # drops only the completion record; a checkpoint to resume from stays
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    nu = (f", nu weights {cfg.nu_w0 or cfg.nu0:g}->{cfg.nu_w_max or cfg.nu_max:g}, activations "
          f"{cfg.nu_a0 or cfg.nu0:g}->{cfg.nu_a_max or cfg.nu_max:g} ({cfg.schedule} per {cfg.nu_per})") if cfg.method == "sbn" else ""
    console.print(f"[bold]train[/] {cfg.method} {cfg.model} on {cfg.dataset} ({len(data.x_train)} train / "
                  f"{len(data.x_test)} test, input {cfg.input_mode}), {cfg.epochs} epochs{nu} on {device()}"
                  + (" [resuming]" if resume else ""))
    ckpt = d / "checkpoint.pt"
    done = len(load_checkpoint(ckpt)["history"]) if resume else 0
    with console_progress("epochs", cfg.epochs, done) as step:
        def on_epoch(rec):
            nu_txt = f", nu {rec['nu']:.1f}" if rec.get("nu") is not None else ""
            step(f"epoch {rec['epoch']}: loss {rec['loss']:.3f}, test acc {rec['test_acc']:.3f} "
                 f"(hard {rec['test_acc_hard']:.3f}){nu_txt}")
        result = train(cfg, data, on_epoch, checkpoint=ckpt, resume=resume)
    last = result.history[-1]
    rec = {"config": asdict(cfg), "history": result.history, "accuracy_smooth": last["test_acc"],
           "seconds": result.seconds, "checkpoint": str(ckpt)}
    bd.finish("train", rec)
    console.print(f"  trained model: test accuracy {last['test_acc']:.4f}")
    return rec


class console_progress:
    """A rich progress bar with a message line; `step(msg)` advances it by one."""

    def __init__(self, what: str, total: int, completed: int = 0):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.p = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=False)
        self.what, self.total, self.completed = what, total, completed

    def __enter__(self):
        self.p.start()
        self.task = self.p.add_task(self.what, total=self.total, completed=self.completed)
        return lambda msg: self.p.update(self.task, advance=1, description=msg)

    def __exit__(self, *exc):
        self.p.stop()


def load_trained(out: Path):
    """The trained smooth model, its config and the dataset, from the build directory."""
    from sbn_hw.data import load_dataset
    from sbn_hw.models import build_model
    from sbn_hw.nn import set_nu
    from sbn_hw.train import TrainConfig

    from sbn_hw.train.trainer import load_checkpoint

    rec = BuildDir(out).record("train", required_by="export")
    ckpt = load_checkpoint(rec["checkpoint"])
    cfg = TrainConfig(**ckpt["config"])
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    model = build_model(cfg.model, data.features, data.classes, cfg.method)
    model.load_state_dict(ckpt["model"])
    set_nu(model, cfg.nu_w_max if cfg.nu_w_max is not None else cfg.nu_max,
           cfg.nu_a_max if cfg.nu_a_max is not None else cfg.nu_max)
    return model.eval(), cfg, data


# --------------------------------------------------------------------------------------- export


def run_export(out: Path) -> dict:
    import torch

    from sbn_hw.data import model_input
    from sbn_hw.export import export_model, load_onnx, run_qonnx
    from sbn_hw.harden import harden
    from sbn_hw.nn import set_hard
    from sbn_hw.train import evaluate

    t0 = time.time()
    bd = BuildDir(out)
    model, cfg, data = load_trained(out)
    d = bd.begin("export")
    x = model_input(data.x_test, data.pixel_max, cfg.input_mode)
    acc_smooth = evaluate(model, x, data.y_test)
    with torch.no_grad():
        smooth_pred = model(torch.from_numpy(x)).argmax(1).numpy()
        set_hard(model, True)
        sign_pred = model(torch.from_numpy(x)).argmax(1).numpy()
        set_hard(model, False)
        hardened = harden(model)
        hard_out = hardened(torch.from_numpy(x)).numpy()
    acc_hard = float((hard_out.argmax(1) == data.y_test).mean())
    if not np.array_equal(hard_out.argmax(1), sign_pred):
        raise SbnHwError("the Brevitas hardened model disagrees with the sign() version of the trained model: a hardening bug")
    what = "smooth (final nu)" if cfg.method == "sbn" else "trained"
    console.print(f"[bold]harden[/]: {what} {acc_smooth:.4f}, hardened {acc_hard:.4f}, "
                  f"agreement {float((smooth_pred == sign_pred).mean()):.4f}")
    path = export_model(hardened, data.features, d / "model.qonnx.onnx")
    console.print(f"[bold]export[/] QONNX -> {path}; executing it on {len(x)} test frames")
    q = run_qonnx(load_onnx(path), progress_iter(x, "QONNX execution"))
    err = float(np.abs(q - hard_out).max())
    if err > 1e-3 or not np.array_equal(q.argmax(1), hard_out.argmax(1)):
        raise SbnHwError(f"QONNX execution differs from the hardened model (max |diff| {err:.3g})")
    rec = {"onnx": str(path), "accuracy_smooth": acc_smooth, "accuracy_hardened": acc_hard,
           "accuracy_qonnx": float((q.argmax(1) == data.y_test).mean()),
           "smooth_hard_agreement": float((smooth_pred == sign_pred).mean()),
           "qonnx_max_abs_diff": err, "seconds": time.time() - t0}
    np.save(d / "qonnx_outputs.npy", q)
    bd.finish("export", rec)
    return rec


# -------------------------------------------------------------------------------------- compile


def own_flow_inputs(out: Path):
    """(hardware inputs, labels, input dtype, scale) for a build that trained its own model."""
    from sbn_hw.data import hardware_input, load_dataset
    from sbn_hw.train import TrainConfig

    cfg = TrainConfig(**BuildDir(out).record("train", required_by="compile")["config"])
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    x = hardware_input(data.x_test, data.pixel_max, cfg.input_mode)
    dtype, scale = ("UINT8", 1.0 / data.pixel_max) if cfg.input_mode == "int8" else ("BIPOLAR", 1.0)
    return x, data.y_test, dtype, scale


def finn_layer_outputs(finn_model, x_hw: np.ndarray, input_dtype: str) -> list[np.ndarray]:
    """Execute the FINN HW graph frame by frame; returns every MVAU's output for all frames."""
    from finn.core.onnx_exec import execute_onnx

    iname = finn_model.graph.input[0].name
    feed_bits = finn_model.get_tensor_datatype(iname).name == "BINARY"
    xin = x_hw if (input_dtype != "BIPOLAR" or feed_bits) else 2 * x_hw - 1
    ishape = finn_model.get_tensor_shape(iname)
    mvau_outs = [n.output[0] for n in finn_model.graph.node if n.op_type == "MVAU"]
    per_layer = [[] for _ in mvau_outs]
    for xi in progress_iter(xin, "FINN execution"):
        ctx = execute_onnx(finn_model, {iname: xi.reshape(ishape).astype(np.float32)}, return_full_exec_context=True)
        for i, name in enumerate(mvau_outs):
            per_layer[i].append(ctx[name].reshape(-1))
    return [np.rint(np.stack(p)).astype(np.int64) for p in per_layer]


def run_compile(out: Path, onnx: Path | None = None, input_dtype: str | None = None, input_scale: float | None = None,
                folding: Path | None = None, target_cycles: int | None = None, check_frames: int = 64) -> dict:
    from qonnx.custom_op.registry import getCustomOp

    from sbn_hw.compile.finn_frontend import finn_output_to_ours
    from sbn_hw.compile.pipeline import compile_qonnx
    from sbn_hw.golden import compare_layer_outputs, run_accelerator
    from sbn_hw.golden.executor import host_scores

    t0 = time.time()
    bd = BuildDir(out)
    labels = None
    if onnx is None:  # our own flow: the exported model and the dataset's test frames
        onnx = Path(bd.record("export", required_by="compile")["onnx"])
        x_hw, labels, dtype, scale = own_flow_inputs(out)
        if input_dtype and input_dtype != dtype:
            raise SbnHwError(f"this build's model takes {dtype} input; drop --input-dtype")
        input_dtype, input_scale = dtype, scale
    else:
        input_dtype = input_dtype or "UINT8"
        input_scale = 1.0 if input_scale is None else input_scale
        x_hw = None
    d = bd.begin("compile")
    console.print(f"[bold]compile[/] {onnx} with FINN (input {input_dtype} x {input_scale:g})")
    res = compile_qonnx(onnx, d, input_dtype, input_scale, folding, target_cycles)
    accel = res.accel
    for l in accel.layers:
        console.print(f"  {l.name}: {l.mw}x{l.mh} {l.mode}, PE={l.pe} SIMD={l.simd}, {l.cycles} cycles/frame"
                      + (", thresholds" if l.has_thresholds else ", integer output"))
    own = own_encoding_description(out, accel) if labels is not None else None
    if x_hw is None:  # a user's model: check on random frames over the whole input range
        from sbn_hw.compile.accel import INPUT_DTYPES

        lo, hi = INPUT_DTYPES[input_dtype]
        x_hw = np.random.default_rng(0).integers(lo, hi + 1, (check_frames, accel.in_features))
    golden = run_accelerator(accel, x_hw)
    finn = finn_layer_outputs(res.finn_model, x_hw, input_dtype)
    dtypes = [getCustomOp(n).get_nodeattr("outputDataType") for n in res.finn_model.get_nodes_by_op_type("MVAU")]
    for l, f, g, dt in zip(accel.layers, finn, golden, dtypes):
        compare_layer_outputs(l.name, finn_output_to_ours(l, dt, f), g, "FINN execution")
    console.print(f"  golden model == FINN execution on all {len(x_hw)} frames, every layer")
    finn_matches_qonnx = None
    if own is not None:
        # The method's own encodings (AND-popcount) are derived from the hardened model. FINN
        # 1.6.1 mis-converts unsigned 1-bit quantizers (its graph disagrees with QONNX), so the
        # reference here is QONNX execution of the exported model on every test frame.
        q = np.load(Path(bd.record("export")["onnx"]).parent / "qonnx_outputs.npy")
        own_out = run_accelerator(own, x_hw)
        s_own = host_scores(own, own_out[-1])
        if not np.allclose(s_own, q, rtol=1e-4, atol=1e-4) or not np.array_equal(s_own.argmax(1), q.argmax(1)):
            raise SbnHwError(f"the {own.layers[1].mode} accelerator disagrees with QONNX execution (max |diff| {np.abs(s_own - q).max():.3g})")
        finn_matches_qonnx = bool(np.allclose(host_scores(accel, golden[-1]), q, rtol=1e-4, atol=1e-4))
        res.accel_path.replace(d / "accelerator_finn.npz")
        own.save(res.accel_path)
        accel, golden = own, own_out
        console.print(f"  own encodings ({', '.join(l.mode for l in own.layers)}) == QONNX execution on all "
                      f"{len(x_hw)} frames (FINN's graph {'agrees' if finn_matches_qonnx else 'DISAGREES'} with QONNX)")
    rec = {"onnx": str(onnx), "input_dtype": input_dtype, "input_scale": input_scale, "accelerator": str(res.accel_path),
           "finn_graph": str(res.finn_path), "frames_checked_against_finn": int(len(x_hw)),
           "cycles_per_frame_analytic": accel.cycles_per_frame,
           "encodings_from": "model (binary batch norm)" if own is not None else "FINN",
           "finn_matches_qonnx": finn_matches_qonnx,
           "layers": [{"name": l.name, "mw": l.mw, "mh": l.mh, "pe": l.pe, "simd": l.simd, "mode": l.mode,
                       "cycles": l.cycles} for l in accel.layers],
           "seconds": time.time() - t0}
    if labels is not None:
        rec["accuracy_golden"] = float((host_scores(accel, golden[-1]).argmax(1) == labels).mean())
        console.print(f"  golden model test accuracy {rec['accuracy_golden']:.4f}")
    bd.finish("compile", rec)
    return rec


AND_METHODS = ("sibnn", "siman")  # methods whose hardware differs from FINN's XNOR form


def own_encoding_description(out: Path, finn_accel):
    """For Si-BNN / SiMaN builds: the description from the hardened model, folded like FINN's."""
    from sbn_hw.compile.from_model import describe_hardened
    from sbn_hw.harden import harden

    model, cfg, _ = load_trained(out)
    if cfg.method not in AND_METHODS:
        return None
    own = describe_hardened(harden(model), finn_accel.input_dtype, finn_accel.input_scale, finn_accel.name)
    return own.with_folding([(l.pe, l.simd) for l in finn_accel.layers])


# ------------------------------------------------------------------------------------- simulate


def user_inputs_to_hw(x: np.ndarray, input_dtype: str, input_scale: float, features: int) -> np.ndarray:
    """A user's float inputs (what their model takes) -> the integers the accelerator streams."""
    from sbn_hw.compile.accel import INPUT_DTYPES

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] != features:
        raise SbnHwError(f"inputs have {x.shape[1]} values per frame, the accelerator takes {features}")
    if input_dtype == "BIPOLAR":
        if not np.all(np.isin(x, (-1.0, 1.0))):
            raise SbnHwError("a BIPOLAR accelerator takes inputs of exactly -1 or +1")
        return (x > 0).astype(np.int64)
    q = x / input_scale
    xi = np.rint(q)
    if np.abs(q - xi).max(initial=0) > 1e-3:
        raise SbnHwError(f"inputs are not integer multiples of the input scale {input_scale:g}: "
                         f"compile with the scale your inputs use (--input-scale)")
    lo, hi = INPUT_DTYPES[input_dtype]
    if xi.min(initial=lo) < lo or xi.max(initial=hi) > hi:
        raise SbnHwError(f"inputs / scale span [{xi.min():g}, {xi.max():g}], outside {input_dtype} [{lo}, {hi}]")
    return xi.astype(np.int64)


def run_simulate(out: Path, inputs: Path | None = None, outputs: Path | None = None, seed: int = 0,
                 stall: float = 0.3, max_frames: int | None = None) -> dict:
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.export import load_onnx, run_qonnx
    from sbn_hw.golden.executor import host_scores
    from sbn_hw.verify.accelerator import simulate

    bd = BuildDir(out)
    crec = bd.record("compile", required_by="simulate")
    accel = Accelerator.load(crec["accelerator"])
    labels, x_user = None, None
    if inputs is not None:
        inputs = Path(inputs)
        if not inputs.is_file():
            raise SbnHwError(f"inputs file '{inputs}' does not exist")
        try:
            x_user = np.load(inputs, allow_pickle=False)
        except ValueError as e:
            raise SbnHwError(f"'{inputs}' is not a numpy .npy array file ({e})") from None
        x_hw = user_inputs_to_hw(x_user, accel.input_dtype, accel.input_scale, accel.in_features)
    else:
        x_hw, labels, _, _ = own_flow_inputs(out)
    if max_frames:
        x_hw = x_hw[:max_frames]
        labels = labels[:max_frames] if labels is not None else None
    d = bd.begin("simulate")
    console.print(f"[bold]simulate[/] {len(x_hw)} frames through the RTL (Verilator + cocotb), random stalls "
                  f"{stall:.0%} on input and output; every layer checked against the golden model")
    with console.status("  building and running the simulation..."):
        r = simulate(accel, x_hw, d, seed=seed, in_stall=stall, out_stall=stall)
    analytic = accel.cycles_per_frame
    rec = {"frames_simulated": r.frames, "mismatches": r.mismatch_count, "cycles_per_frame_measured": r.cycles_per_frame,
           "cycles_per_frame_analytic": analytic, "fps_at_100mhz": 100e6 / r.cycles_per_frame,
           "seconds": r.seconds}
    console.print(f"  {r.frames} frames, {r.mismatch_count} mismatches; {r.cycles_per_frame:.1f} cycles/frame "
                  f"(analytic {analytic}), {rec['fps_at_100mhz']:.0f} frames/s at 100 MHz")
    if abs(r.cycles_per_frame - analytic) > 0.05 * analytic:
        console.print("  [yellow]warning[/]: measured cycles per frame is not within 5% of the analytic bound")
    scores = host_scores(accel, r.outputs)
    if labels is not None:
        rec["accuracy_rtl"] = float((scores.argmax(1) == labels).mean())
        console.print(f"  RTL test accuracy {rec['accuracy_rtl']:.4f}")
    if x_user is not None:
        q = run_qonnx(load_onnx(crec["onnx"]), progress_iter(np.asarray(x_user, np.float32)[: len(x_hw)], "QONNX reference"))
        diff = float(np.abs(q.reshape(len(q), -1) - scores).max())
        rec["qonnx_max_abs_diff"] = diff
        if diff > 1e-3 * max(1.0, float(np.abs(q).max())):
            raise SbnHwError(f"RTL outputs differ from QONNX execution of {crec['onnx']} (max |diff| {diff:.3g})")
        console.print(f"  RTL outputs match QONNX execution of the source model (max |diff| {diff:.2g})")
        if outputs is not None:
            tmp = Path(str(outputs) + ".partial.npy")
            np.save(tmp, scores.astype(np.float32))
            os.replace(tmp, outputs)
            console.print(f"  outputs written to {outputs}")
    bd.finish("simulate", rec)
    return rec


# ---------------------------------------------------------------------------------------- synth


def run_synth(out: Path, board: str = "pynq-z2") -> dict:
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.flows import load_board, synthesize
    from sbn_hw.rtlgen import generate_rtl

    bd = BuildDir(out)
    crec = bd.record("compile", required_by="synth")
    b = load_board(board)
    accel = Accelerator.load(crec["accelerator"])
    d = bd.begin("synth")
    rtl = generate_rtl(accel, d / "rtl")
    console.print(f"[bold]synth[/] Yosys synth_xilinx for {b['part']} ({board})")
    with console.status("  synthesizing (the first Yosys run compiles it to native code, ~1-2 min)..."):
        r = synthesize(rtl, d, len(accel.layers))
    total = r["total"]
    cap = b["capacity"]
    util = {"lut": total.lut / cap["lut"], "ff": total.ff / cap["ff"], "bram": total.bram / cap["bram36"],
            "dsp": total.dsp / cap["dsp"]}
    console.print(f"  LUT {total.lut} ({util['lut']:.1%}), FF {total.ff} ({util['ff']:.1%}), "
                  f"BRAM36 {total.bram:g} ({util['bram']:.1%}), DSP {total.dsp}")
    rec = {"board": board, "part": b["part"], "resources": total.as_dict(), "utilization": util,
           "layers": [{"name": l.name, **res.as_dict()} for l, res in zip(accel.layers, r["layers"])],
           "streams": r["streams"].as_dict(), "seconds": r["seconds"]}
    bd.finish("synth", rec)
    return rec
