"""train -> export -> compile -> simulate -> synth, each a function over a build directory.

Every stage prints progress, checks its result against the stage before it, and records what it
measured in <stage>/stage.json (written last, so a stage without it did not finish)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.pipeline.builddir import BuildDir
from sbn_hw.pipeline.progress import console, console_progress, counted_progress, progress_iter

# ---------------------------------------------------------------------------------------- train


def run_train(out: Path, cfg, resume: bool = False) -> dict:
    from sbn_hw.data import load_dataset
    from sbn_hw.train import train
    from sbn_hw.train.trainer import device, load_checkpoint

    bd = BuildDir(out)
    d = bd.begin("train")  # drops only the completion record; a checkpoint to resume from stays
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    (w0, w1, ws), (a0, a1, as_) = cfg.nu_ends()
    finish = cfg.finish_epochs()
    nu = (f", nu weights {w0:g}->{w1:g} ({ws}), activations {a0:g}->{a1:g} ({as_}) per {cfg.nu_per}"
          + (f" over {cfg.smooth_epochs()} smooth epochs, then {finish} epochs of hard finish" if finish else "")
          if cfg.method == "sbn" else "")
    console.print(f"[bold]train[/] {cfg.method} {cfg.model} on {cfg.dataset} ({len(data.x_train)} train / "
                  f"{len(data.x_test)} test, input {cfg.input_mode}), {cfg.epochs} epochs{nu} on {device()}"
                  + (" [resuming]" if resume else ""))
    ckpt = d / "checkpoint.pt"
    done = len(load_checkpoint(ckpt)["history"]) if resume else 0
    with console_progress("epochs", cfg.epochs, done) as step:
        def on_epoch(rec):
            nu_txt = f", nu {rec['nu']:.1f}" if rec.get("nu") is not None else ""
            val = f"val {rec['val_acc']:.3f}, " if "val_acc" in rec else ""
            finish = " [hard finish]" if rec.get("hard_finish") else ""
            step(f"epoch {rec['epoch']}: loss {rec['loss']:.3f}, {val}test {rec['test_acc']:.3f} "
                 f"(hard {rec['test_acc_hard']:.3f}), smooth=hard on {rec['agreement']:.1%}{nu_txt}{finish}")
        result = train(cfg, data, on_epoch, checkpoint=ckpt, resume=resume)
    last = result.history[-1]
    rec = {"config": asdict(cfg), "history": result.history, "accuracy_smooth": last["test_acc"],
           "seconds": result.seconds, "checkpoint": str(ckpt)}
    bd.finish("train", rec)
    console.print(f"  trained model: test accuracy {last['test_acc']:.4f}")
    return rec


def load_trained(out: Path):
    """The trained smooth model, its config and the dataset, from the build directory."""
    from sbn_hw.data import load_dataset
    from sbn_hw.models import build_model
    from sbn_hw.train import TrainConfig
    from sbn_hw.train.trainer import load_checkpoint, set_final_state

    rec = BuildDir(out).record("train", required_by="export")
    ckpt = load_checkpoint(rec["checkpoint"])
    # A build trained before the hard finish existed has no such key, and ended smooth; one
    # trained before LAB's k x k kernel used the 1x1 form.
    cfg = TrainConfig(**{"hard_finish_epochs": 0, "lab_kernel": 1, **ckpt["config"]})
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    model = build_model(cfg.model, data.features, data.classes, cfg.method, image_shape=data.image_shape,
                        lab_kernel=cfg.lab_kernel)
    model.load_state_dict(ckpt["model"])
    return set_final_state(model, cfg).eval(), cfg, data


# --------------------------------------------------------------------------------------- export


def run_export(out: Path) -> dict:
    import torch

    from sbn_hw.data import model_input, model_input_step
    from sbn_hw.export import export_model, load_onnx
    from sbn_hw.harden import harden
    from sbn_hw.harden.brevitas_model import LABWindow
    from sbn_hw.train.trainer import predict_as_trained_and_sign
    from sbn_hw.verify.qonnx_reference import trace_qonnx

    t0 = time.time()
    bd = BuildDir(out)
    model, cfg, data = load_trained(out)
    d = bd.begin("export")
    x = model_input(data.x_test, data.pixel_max, cfg.input_mode)
    smooth_pred, sign_pred = predict_as_trained_and_sign(model, x)
    acc_smooth = float((smooth_pred == data.y_test).mean())
    with torch.no_grad():
        hardened = harden(model, model_input_step(data.pixel_max, cfg.input_mode))
        hard_out = hardened(torch.from_numpy(x)).numpy()
    acc_hard = float((hard_out.argmax(1) == data.y_test).mean())
    if not np.array_equal(hard_out.argmax(1), sign_pred):
        raise SbnHwError("the Brevitas hardened model disagrees with the sign() version of the trained model: a hardening bug")
    what = ("trained (hard finish)" if cfg.finish_epochs() else "smooth (final nu)") if cfg.method == "sbn" else "trained"
    console.print(f"[bold]harden[/]: {what} {acc_smooth:.4f}, hardened {acc_hard:.4f}, "
                  f"agreement {float((smooth_pred == sign_pred).mean()):.4f}")
    # A conv model takes NCHW images (QONNX sees them as the user's framework does), an MLP flat frames.
    path = export_model(hardened, getattr(model, "input_shape", data.features), d / "model.qonnx.onnx")
    console.print(f"[bold]export[/] QONNX -> {path}; executing it on {len(x)} test frames")
    trace = trace_qonnx(load_onnx(path), x, lambda it: progress_iter(it, "QONNX execution"))
    q = trace.outputs
    err = float(np.abs(q - hard_out).max())
    if err > 1e-3 or not np.array_equal(q.argmax(1), hard_out.argmax(1)):
        raise SbnHwError(f"QONNX execution differs from the hardened model (max |diff| {err:.3g})")
    trace.save(d / "qonnx_trace.npz")  # every layer's QONNX bits: compile holds the accelerator to them
    twin = export_finn_layout_source(hardened, cfg, d)
    rec = {"onnx": str(path), "frames": int(len(x)), "accuracy_smooth": acc_smooth, "accuracy_hardened": acc_hard,
           "accuracy_qonnx": float((q.argmax(1) == data.y_test).mean()),
           "smooth_hard_agreement": float((smooth_pred == sign_pred).mean()),
           "qonnx_max_abs_diff": err, "qonnx_trace": str(d / "qonnx_trace.npz"), "seconds": time.time() - t0}
    if twin is not None:
        rec["finn_layout_source"] = str(twin)
        rec["lab_units"] = sum(isinstance(m, LABWindow) for m in hardened.modules())
    bd.finish("export", rec)
    return rec


# -------------------------------------------------------------------------------------- compile


def own_flow_inputs(out: Path):
    """(hardware inputs, labels, input dtype, scale) for a build that trained its own model.
    Integer pixels stream in the narrowest type that holds them (digits 0..16: UINT5). The frames
    are in stream order: a conv model's images (stored C, H, W) stream pixel by pixel, channels
    innermost (H, W, C), as the accelerator's sliding windows read them."""
    from sbn_hw.compile.accel import unsigned_dtype_for
    from sbn_hw.data import hardware_input, load_dataset
    from sbn_hw.models.zoo import model_input_chw
    from sbn_hw.runtime.packing import nchw_to_stream
    from sbn_hw.train import TrainConfig

    cfg = TrainConfig(**BuildDir(out).record("train", required_by="compile")["config"])
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    x = hardware_input(data.x_test, data.pixel_max, cfg.input_mode)
    chw = model_input_chw(cfg.model, data.features, data.image_shape)
    if chw is not None:
        x = nchw_to_stream(x, chw)
    if cfg.input_mode == "int8":
        return x, data.y_test, unsigned_dtype_for(data.pixel_max), 1.0 / data.pixel_max
    return x, data.y_test, "BIPOLAR", 1.0


def check_compile_arguments(folding: Path | None, target_cycles: int | None, input_dtype: str | None,
                            input_scale: float | None, budget: str | None = None) -> None:
    """What can be checked before any work: a typo must not un-finish a verified build."""
    from sbn_hw.compile.accel import check_input_type
    from sbn_hw.compile.pipeline import check_folding_source

    check_folding_source(folding, target_cycles, budget)
    check_input_type(input_dtype, input_scale)


def run_compile(out: Path, onnx: Path | None = None, input_dtype: str | None = None, input_scale: float | None = None,
                folding: Path | None = None, target_cycles: int | None = None, check_frames: int = 64,
                budget: str | None = None, res_type: str = "auto") -> dict:
    """QONNX -> FINN -> accelerator description. Before anything is written the description is
    checked on every frame against FINN's execution and against QONNX execution of the source file,
    layer by layer; only then is the stage (re)started, invalidating the stages after it."""
    from sbn_hw.compile.accel import INPUT_DTYPES
    from sbn_hw.compile.finn_exec import finn_layer_outputs, finn_outputs_in_our_terms
    from sbn_hw.compile.folding import folding_json
    from sbn_hw.compile.pipeline import BUDGET_SHARE, check_built_within_budget, compile_qonnx, lab_pes, save_compile
    from sbn_hw.export import load_onnx
    from sbn_hw.golden import compare_layer_outputs, run_accelerator
    from sbn_hw.golden.executor import host_scores
    from sbn_hw.verify.inputs import hw_inputs_to_user, range_covering_inputs
    from sbn_hw.verify.qonnx_reference import (QonnxTrace, compare_with_qonnx, exact_layers, quantized_layers,
                                               trace_qonnx)

    t0 = time.time()
    bd = BuildDir(out)
    check_compile_arguments(folding, target_cycles, input_dtype, input_scale, budget)
    labels, trace = None, None
    if onnx is None:  # our own flow: the exported model and the dataset's test frames
        erec = bd.record("export", required_by="compile")
        onnx = Path(erec["onnx"])
        x_hw, labels, dtype, scale = own_flow_inputs(out)
        if input_dtype and input_dtype != dtype:
            raise SbnHwError(f"this build's model takes {dtype} input; drop --input-dtype")
        if input_scale is not None and not np.isclose(input_scale, scale):
            raise SbnHwError(f"this build's model takes input x {scale:g}; drop --input-scale")
        input_dtype, input_scale = dtype, scale
        trace = QonnxTrace.load(erec["qonnx_trace"])
    else:
        input_dtype = input_dtype or "UINT8"
        input_scale = 1.0 if input_scale is None else input_scale
        x_hw = None
    # Our own {0,1} CNNs: FINN lays out the bipolar twin export wrote, the model's encodings fill it.
    twin = Path(erec["finn_layout_source"]) if labels is not None and "finn_layout_source" in erec else None
    if twin is not None:
        console.print(f"[bold]compile[/] {onnx}: FINN 1.6.1 cannot streamline {{0,1}} convolutions or LAB's K x K "
                      f"binarizer, so FINN lays out the hardware of the model's bipolar twin and the model's own "
                      f"encodings fill it "
                      f"(input {input_dtype} x {input_scale:g})")
    else:
        console.print(f"[bold]compile[/] {onnx} with FINN (input {input_dtype} x {input_scale:g})")
    # The LAB units compile adds to FINN's layout (LAB_0, ...) may be named in a folding file too.
    later = {f"LAB_{i}": "lab" for i in range(erec.get("lab_units", 0))} if twin is not None else {}
    res = compile_qonnx(twin or onnx, input_dtype, input_scale, folding, target_cycles, later, budget, res_type)
    accel = res.accel
    if res.budget_choice:
        c = res.budget_choice
        ints = any(l.kind == "mvau" and l.mode == "int" for l in accel.layers)
        console.print(f"  --budget {c['board']}: the fastest folding the resource model fits in "
                      f"{c['allowed']['lut']:,.0f} LUT / {c['allowed']['bram36']:g} BRAM36 / "
                      f"{c['allowed'].get('dsp', 0):g} DSP ({BUDGET_SHARE:.0%} of the board): target "
                      f"{c['target_cycles']:,} cycles per frame, estimate {c['estimate']['lut']:,} LUT / "
                      f"{c['estimate']['bram36']:g} BRAM36 / {c['estimate']['dsp']} DSP"
                      + (f", integer layers in {c['res_type'].upper()}s" if ints else ""))
    if res.folding_ignored:
        console.print(f"  ignored (means nothing for this model or flow): {', '.join(res.folding_ignored)}")
    for l in accel.layers:
        console.print(f"  {l.name}: {l.summary()}")
    if x_hw is None:  # a user's model: frames over the whole integer input range
        x_hw = range_covering_inputs(*INPUT_DTYPES[input_dtype], accel.in_features, check_frames)
        trace = trace_qonnx(load_onnx(onnx), hw_inputs_to_user(x_hw, input_dtype, input_scale, accel.input_chw),
                            lambda it: progress_iter(it, "QONNX execution"))
    names = [l.name for l in accel.layers]

    # 1. The description read from FINN's graph == FINN's own execution of that graph.
    golden = run_accelerator(accel, x_hw)
    finn = finn_outputs_in_our_terms(accel, res.finn_model,
                                     finn_layer_outputs(res.finn_model, x_hw, input_dtype,
                                                        lambda it: progress_iter(it, "FINN execution")))
    for l, f, g in zip(accel.layers, finn, golden):
        compare_layer_outputs(l.name, f, g, "FINN execution")
    console.print(f"  golden model == FINN execution on all {len(x_hw)} frames, every layer")

    # 2. {0,1} activations or weights: FINN 1.6.1 rewrites them into XNOR form, so the
    #    AND-popcount description comes from the hardened model itself (docs/ENCODINGS.md).
    own = own_encoding_description(out, accel) if labels is not None else None
    finn_vs_qonnx = None
    if own is not None:
        if twin is not None:
            finn_vs_qonnx = "not compared (FINN compiled the model's bipolar twin, for its layout only)"
        else:
            try:
                compare_with_qonnx(*quantized_layers(accel, golden), host_scores(accel, golden[-1]), trace, "FINN's graph",
                                   exact_layers(accel))
                finn_vs_qonnx = "agrees"
            except SbnHwError as e:
                finn_vs_qonnx = f"differs ({e})"
        if folding is not None and any(l.kind == "lab" for l in own.layers):
            own = lab_pes(own, folding)
        res.folding_config = folding_json([l.name for l in own.layers], own.folding, [l.kind for l in own.layers],
                                          own.res_types)
        accel, golden = own, run_accelerator(own, x_hw)
        if res.budget_choice is not None:
            built = res.budget_choice["estimate_built"] = check_built_within_budget(accel, res.budget_choice)
            console.print(f"  own encodings' description within the budget too: estimate {built['lut']:,} LUT / "
                          f"{built['bram36']:g} BRAM36 / {built['dsp']} DSP")

    # 3. The accelerator == QONNX execution of the source file, every layer, every frame.
    what = "the accelerator" if own is not None else "FINN's graph"
    try:
        cmp = compare_with_qonnx(*quantized_layers(accel, golden), host_scores(accel, golden[-1]), trace, what,
                                 exact_layers(accel))
    except SbnHwError as e:
        if labels is not None:
            raise
        raise SbnHwError(f"{e}. FINN's streamlined graph is not the model in {Path(onnx).name}, so no accelerator is "
                         "written. A known cause: {0,1} activations or weights, which FINN 1.6.1 rewrites into XNOR "
                         "form; train such models with sbn-hw (--method sibnn / siman) for their AND-popcount "
                         "hardware, or use bipolar quantizers") from None
    ties = f", {len(cmp.tie_frames)} frames with exact ties" if cmp.tie_frames else ""
    console.print(f"  {what} == QONNX execution of {Path(onnx).name} on all {len(x_hw)} frames, every layer{ties}")
    if own is not None:
        modes = ", ".join(l.mode if l.kind == "mvau" else f"LAB {l.k}x{l.k}" for l in own.layers
                          if l.kind in ("mvau", "lab"))
        console.print(f"  own encodings ({modes}); FINN's XNOR graph {finn_vs_qonnx.split(' (')[0]} with QONNX")

    d = bd.begin("compile")
    if own is not None:
        res.accel.save(d / "accelerator_finn.npz")
    paths = save_compile(res, d, accel)
    rec = {"onnx": str(onnx), "finn_source": str(twin or onnx), "input_dtype": input_dtype, "input_scale": input_scale,
           "accelerator": str(paths["accelerator"]), "finn_graph": str(paths["finn_graph"]),
           "frames_checked_against_finn": int(len(x_hw)), "frames_checked_against_qonnx": int(len(x_hw)),
           "qonnx_check": cmp.as_dict(), "check_inputs": "test set" if labels is not None else "range-covering random",
           "cycles_per_frame_analytic": accel.cycles_per_frame,
           "budget": res.budget_choice,
           "encodings_from": encodings_source(own),
           "finn_vs_qonnx": finn_vs_qonnx or "agrees",
           "layers": [l.as_record() for l in accel.layers],
           "seconds": time.time() - t0}
    if labels is not None:
        rec["accuracy_golden"] = float((host_scores(accel, golden[-1]).argmax(1) == labels).mean())
        console.print(f"  golden model test accuracy {rec['accuracy_golden']:.4f} ({len(labels)} frames)")
    bd.finish("compile", rec)
    return rec


def encodings_source(own) -> str:
    """Where the description's encodings come from, for the compile record."""
    if own is None:
        return "FINN"
    if any(l.kind == "lab" for l in own.layers):
        return "model (LAB units on FINN's layout)"
    return "model (binary batch norm)"


def export_finn_layout_source(hardened, cfg, export_dir: Path) -> Path | None:
    """For a CNN FINN cannot streamline as it is (FINN 1.6.1 leaves {0,1} convolutions unlowered and
    has no layer for LAB's K x K binarizer): its layout twin, exported beside the model (the same
    topology in bipolar sign form; from_model.layout_twin), whose FINN layout (sliding windows,
    pools, MVAU shapes and folding) compile fills with the model's own encodings and LAB units.
    None for every other model: FINN compiles the model itself."""
    from sbn_hw.compile.from_model import has_lab_window, layout_twin, needs_layout_twin
    from sbn_hw.export import export_model
    from sbn_hw.models.zoo import is_conv_model

    if not is_conv_model(cfg.model) or not needs_layout_twin(hardened):
        return None
    twin = layout_twin(hardened) if has_lab_window(hardened) else hardened
    return export_model(twin, hardened.input_shape, export_dir / "bipolar_twin.qonnx.onnx", bipolar_twin=True)


def own_encoding_description(out: Path, finn_accel):
    """The build's hardened model, described in its own encodings where FINN's differ (or None)."""
    from sbn_hw.compile.from_model import own_encodings_description
    from sbn_hw.harden import harden

    from sbn_hw.data import model_input_step

    model, cfg, data = load_trained(out)
    hardened = harden(model, model_input_step(data.pixel_max, cfg.input_mode))
    return own_encodings_description(hardened, finn_accel)  # PE, SIMD and memory styles


# ------------------------------------------------------------------------------------- simulate

UNTIMED_CLOCK_MHZ = 100  # throughput is quoted at this clock only as "timing not checked"


def default_jobs(jobs: int | None) -> int:
    """Simulator processes for a run: as asked, else one per core this process may use, at most 8."""
    from sbn_hw.verify.accelerator import usable_cores

    return jobs if jobs is not None else max(1, min(8, usable_cores()))


def check_simulate_arguments(stall: float, max_frames: int | None) -> None:
    from sbn_hw.verify.accelerator import check_stall

    check_stall(stall)
    if max_frames is not None and max_frames < 1:
        raise SbnHwError(f"--max-frames must be at least 1, got {max_frames}")


def layer_index(accel, name: str) -> int:
    names = [l.name for l in accel.layers]
    if name not in names:
        raise SbnHwError(f"--layer {name}: this build has no such layer; its layers are {', '.join(names)}")
    return names.index(name)


def one_layer(accel, name: str, x_hw: np.ndarray):
    """(the accelerator of layer `name` alone, that layer's input frames from the golden model)."""
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.golden import run_accelerator

    i = layer_index(accel, name)
    x = x_hw if i == 0 else run_accelerator(replace(accel, layers=accel.layers[:i]), x_hw)[-1]
    width = accel.layers[i].out_elems
    alone = Accelerator((accel.layers[i],), accel.input_dtype, accel.input_scale, np.ones(width), np.zeros(width),
                        f"{accel.name}_{name}")
    return alone, x


def run_simulate(out: Path, inputs: Path | None = None, outputs: Path | None = None, seed: int = 0,
                 stall: float = 0.3, max_frames: int | None = None, layer: str | None = None,
                 waves: bool = False, full_rtl: bool = False, jobs: int | None = None) -> dict:
    """The RTL under Verilator, every frame and every layer against the golden model.
    jobs: simulator processes at once (None: this machine's cores, at most 8).

    Without `inputs`: the build's own test set, recorded as the `simulate` stage. With `inputs`: a
    user's frames, held also to QONNX execution of the source file and recorded apart
    (`simulate-inputs/`), so a user's run never replaces the build's own verification.
    `layer`: that layer alone, fed its input as the golden model computes it from the frames
    (recorded in `simulate-layer/`). `waves`: a VCD of the whole run in the stage's folder."""
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.export import load_onnx
    from sbn_hw.golden import run_accelerator
    from sbn_hw.golden.executor import host_scores
    from sbn_hw.verify.accelerator import THROUGHPUT_FRAMES, arithmetic_model, shard_bounds, simulate
    from sbn_hw.verify.inputs import load_user_inputs, user_inputs_to_hw
    from sbn_hw.verify.qonnx_reference import compare_with_qonnx, exact_layers, quantized_layers, trace_qonnx

    check_simulate_arguments(stall, max_frames)
    bd = BuildDir(out)
    crec = bd.record("compile", required_by="simulate")
    accel = Accelerator.load(crec["accelerator"])
    labels, x_user = None, None
    if outputs is not None and inputs is None:
        raise SbnHwError("--outputs needs --inputs (the test-set run records its results in the build directory)")
    if layer is not None and outputs is not None:
        raise SbnHwError("--outputs is for whole-accelerator runs: drop --layer or --outputs")
    if layer is not None:
        layer_index(accel, layer)  # a wrong name is refused before any work
    if inputs is not None:
        x_user = load_user_inputs(inputs)
        x_hw = user_inputs_to_hw(x_user, accel.input_dtype, accel.input_scale, accel.in_features, accel.input_chw)
    else:
        x_hw, labels, _, _ = own_flow_inputs(out)
    if max_frames:
        x_hw = x_hw[:max_frames]
        labels = labels[:max_frames] if labels is not None else None
    if layer is not None:
        return simulate_one_layer(bd, accel, layer, x_hw, seed, stall, waves, full_rtl, jobs)
    stage = "simulate" if inputs is None else "simulate-inputs"
    d = bd.begin(stage)
    console.print(f"[bold]simulate[/] {len(x_hw)} frames through the RTL (Verilator + cocotb), random stalls "
                  f"{stall:.0%} on input and output; every layer checked against the golden model")
    jobs = 1 if waves else len(shard_bounds(len(x_hw), default_jobs(jobs), THROUGHPUT_FRAMES))
    console.print("  building the simulator (Verilator), then measuring throughput without stalls, then the checked run"
                  + (f" in {jobs} processes, each on its share of the frames" if jobs > 1 else ""))
    with counted_progress("checked frames (every layer)", len(x_hw)) as report:
        r = simulate(accel, x_hw, d, seed=seed, in_stall=stall, out_stall=stall, progress=report, waves=waves,
                     full_rtl=full_rtl, jobs=jobs)
    analytic = accel.cycles_per_frame
    fps = UNTIMED_CLOCK_MHZ * 1e6 / r.cycles_per_frame
    rec = {"frames_simulated": r.frames, "mismatches": r.mismatch_count, "cycles_per_frame_measured": r.cycles_per_frame,
           "cycles_per_frame_analytic": analytic, "fps_at_100mhz_timing_not_checked": fps,
           "stall": stall, "seed": seed, "seconds": r.seconds, "arithmetic": arithmetic_model(full_rtl),
           "simulated_cycles_per_s": r.checked_cycles / max(r.checked_seconds, 1e-9), "jobs": r.jobs,
           "chunks": r.chunks}
    console.print(f"  {r.frames} frames, {r.mismatch_count} mismatches; {r.cycles_per_frame:.1f} cycles/frame "
                  f"(analytic {analytic}); {fps:,.0f} frames/s = cycles per frame x {UNTIMED_CLOCK_MHZ} MHz, timing not checked")
    if abs(r.cycles_per_frame - analytic) > 0.05 * analytic:
        console.print("  [yellow]warning[/]: measured cycles per frame is not within 5% of the analytic bound")
    if r.waves is not None:
        rec["waves"] = str(r.waves)
        console.print(f"  waves: {r.waves} (open with GTKWave or Surfer)")
    scores = host_scores(accel, r.outputs)
    if labels is not None:
        gold = host_scores(accel, r.golden_outputs)
        rec["frames_scored"] = int(len(labels))
        rec["accuracy_rtl"] = float((scores.argmax(1) == labels).mean())
        rec["accuracy_golden"] = float((gold.argmax(1) == labels).mean())
        console.print(f"  test accuracy on these {len(labels)} frames: RTL {rec['accuracy_rtl']:.4f}, "
                      f"golden {rec['accuracy_golden']:.4f}")
    if x_user is not None:
        rec["inputs"] = str(Path(inputs).resolve())
        xs = np.asarray(x_user, np.float64).reshape(len(x_user), -1)[: len(x_hw)]
        trace = trace_qonnx(load_onnx(crec["onnx"]), xs, lambda it: progress_iter(it, "QONNX reference"))
        # The quantized layers' golden outputs beside QONNX's (the RTL's own were checked against them).
        golden = run_accelerator(accel, x_hw)
        cmp = compare_with_qonnx(*quantized_layers(accel, golden), scores, trace, "RTL", exact_layers(accel))
        rec["qonnx"] = cmp.as_dict()
        ties = (f"; {len(cmp.tie_frames)} frames have an exact tie (integer pre-activation on the threshold) that "
                f"QONNX's float32 rounds the other way, frames {cmp.tie_frames[:10]}" if cmp.tie_frames else "")
        console.print(f"  RTL outputs match QONNX execution of the source model (max |diff| {cmp.max_abs_diff:.2g}){ties}")
        if outputs is not None:
            tmp = Path(str(outputs) + ".partial.npy")
            np.save(tmp, scores.astype(np.float32))
            os.replace(tmp, outputs)
            rec["outputs"] = str(Path(outputs).resolve())
            console.print(f"  outputs written to {outputs}")
    bd.finish(stage, rec)
    return rec


def simulate_one_layer(bd: BuildDir, accel, layer: str, x_hw: np.ndarray, seed: int, stall: float, waves: bool,
                       full_rtl: bool = False, jobs: int | None = None) -> dict:
    """`simulate --layer`: one layer's RTL alone, its input the golden model's, output vs golden."""
    from sbn_hw.verify.accelerator import arithmetic_model, simulate

    alone, x = one_layer(accel, layer, x_hw)
    d = bd.begin("simulate-layer")
    spec = alone.layers[0]
    console.print(f"[bold]simulate[/] layer {layer} alone ({spec.summary()}): {len(x)} frames of its golden input, "
                  f"random stalls {stall:.0%}; its output checked against the golden model")
    with counted_progress(f"checked frames ({layer})", len(x)) as report:
        r = simulate(alone, x, d, seed=seed, in_stall=stall, out_stall=stall, progress=report, waves=waves,
                     full_rtl=full_rtl, jobs=default_jobs(jobs))
    rec = {"layer": layer, "kind": spec.kind, "frames_simulated": r.frames, "mismatches": r.mismatch_count,
           "cycles_per_frame_measured": r.cycles_per_frame, "cycles_per_frame_analytic": alone.cycles_per_frame,
           "stall": stall, "seed": seed, "seconds": r.seconds, "arithmetic": arithmetic_model(full_rtl),
           "simulated_cycles_per_s": r.checked_cycles / max(r.checked_seconds, 1e-9), "jobs": r.jobs,
           "chunks": r.chunks}
    console.print(f"  {r.frames} frames, {r.mismatch_count} mismatches; {r.cycles_per_frame:.1f} cycles/frame "
                  f"(analytic {alone.cycles_per_frame})")
    if r.waves is not None:
        rec["waves"] = str(r.waves)
        console.print(f"  waves: {r.waves} (open with GTKWave or Surfer)")
    bd.finish("simulate-layer", rec)
    return rec


# ---------------------------------------------------------------------------------------- synth


def check_synth_board(board: str) -> dict:
    """The board file, if the Yosys estimate (synth_xilinx) applies to its part."""
    from sbn_hw.flows import load_board

    b = load_board(board)
    if "bram36" not in b["capacity"]:
        raise SbnHwError(f"`sbn-hw synth` estimates Xilinx parts (Yosys synth_xilinx); '{board}' is a {b['family']} "
                         "board, whose resources come from its own flow (`sbn-hw bitstream`): choose a Xilinx board "
                         "(sbn-hw boards)")
    return b


def run_synth(out: Path, board: str = "pynq-z2") -> dict:
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.flows import synthesize
    from sbn_hw.rtlgen import generate_rtl

    bd = BuildDir(out)
    crec = bd.record("compile", required_by="synth")
    b = check_synth_board(board)
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
