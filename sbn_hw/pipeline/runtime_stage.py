"""`sbn-hw run` and `sbn-hw deploy` as side runs of compile.

run_driver: the PYNQ driver (sbn_hw.runtime.Accelerator) on a board (target "pynq", the build's
bitstream) or on the simulated twin (target "sim"), every frame's integer output held to the
golden model. run_deploy: DIR/deploy/ for a PYNQ board (sbn_hw.runtime.deploy).
Records: DIR/run/stage.json and DIR/deploy/stage.json (side runs "run" and "deploy" of compile).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.pipeline.builddir import BuildDir

RUN, DEPLOY = "run", "deploy"  # side-run names (SIDE_RUNS: both depend on "compile")
TARGETS = ("sim", "pynq")



def _bitfile(out: Path, bd: BuildDir, accel, target: str, stage_dir: Path) -> Path:
    """The board's .bit, or the twin's .twin.json (written, and reused while the RTL is the same)."""
    if target == "sim":
        from sbn_hw.runtime.twin import write_twin

        return write_twin(accel, stage_dir / "twin")
    rec = bd.record("bitstream")
    if rec.get("vivado") != "run" or not Path(rec.get("bitfile", "")).is_file():
        raise SbnHwError(f"--target pynq needs a bitstream: run `sbn-hw bitstream --out {out} --board <board>` on a "
                         f"machine with Vivado, then `sbn-hw deploy` and validate.py on the board")
    return Path(rec["bitfile"])


def check_run_arguments(target: str, inputs: Path | None, outputs: Path | None) -> None:
    if target not in TARGETS:
        raise SbnHwError(f"unknown --target '{target}': choose sim or pynq")
    if outputs is not None and inputs is None:
        raise SbnHwError("--outputs needs --inputs (without them the build's test set runs and is scored)")


def run_driver(out: Path, target: str = "sim", inputs: Path | None = None, outputs: Path | None = None,
               throughput: bool = False, batch_size: int | None = None, log=print) -> dict:
    """Run the driver on a user's .npy (or the build's test set); outputs (float32 logits, N x
    classes) to `outputs`. Raises SbnHwError if any frame differs from the golden model."""
    from sbn_hw.compile.accel import Accelerator as Description
    from sbn_hw.golden import run_accelerator
    from sbn_hw.runtime import Accelerator
    from sbn_hw.runtime.describe import write_description
    from sbn_hw.runtime.deploy import input_shape, test_set
    from sbn_hw.verify.inputs import load_user_inputs, user_inputs_to_hw

    check_run_arguments(target, inputs, outputs)
    out = Path(out)
    bd = BuildDir(out)
    crec = bd.record("compile", required_by=RUN)
    accel = Description.load(crec["accelerator"])
    labels = None
    if inputs is not None:
        x = load_user_inputs(inputs)
    else:
        ts = test_set(out)
        if ts is None:
            raise SbnHwError("this build has no test set of its own (compiled from a user's ONNX): pass --inputs X.npy")
        x, labels = ts
    x_hw = user_inputs_to_hw(x, accel.input_dtype, accel.input_scale, accel.in_features, accel.input_chw)
    d = bd.begin(RUN)
    t0 = time.time()
    bitfile = _bitfile(out, bd, accel, target, d)
    desc = write_description(accel, d / "description.json", input_shape=input_shape(out))
    log(f"run: {len(x)} frames through the driver on target {target} ({bitfile.name})")
    with Accelerator(bitfile, desc, target=target, batch_size=batch_size) as acc:
        integers = acc.wait(acc.execute_async(x), raw=True)  # the user's floats in, through quantize
        scores = acc.logits(integers)
        tp = acc.throughput_test() if throughput else None
    golden = run_accelerator(accel, x_hw)[-1]
    bad = np.argwhere(integers != golden)
    if len(bad):
        f, o = (int(v) for v in bad[0])
        raise SbnHwError(f"driver outputs differ from the golden model in {len(bad)} values; first at frame {f}, "
                         f"output {o}: {integers[f, o]} != {golden[f, o]}")
    rec = {"target": target, "bitfile": str(bitfile), "frames": int(len(x)), "golden_mismatches": 0,
           "batch_size": acc.batch_size, "seconds": time.time() - t0}
    log(f"  {len(x)} frames, every output identical to the golden model")
    if labels is not None:
        rec["accuracy"] = float((scores.argmax(1) == labels).mean())
        log(f"  accuracy {rec['accuracy']:.4f} on the build's test set")
    if outputs is not None:
        tmp = Path(str(outputs) + ".partial.npy")
        np.save(tmp, scores.astype(np.float32))
        os.replace(tmp, outputs)
        rec["inputs"], rec["outputs"] = str(Path(inputs).resolve()), str(Path(outputs).resolve())
        log(f"  outputs written to {outputs}")
    if tp is not None:
        rec["throughput"] = tp
        log(format_throughput(tp, target))
    bd.finish(RUN, rec)
    return rec


def format_throughput(tp: dict, target: str) -> str:
    # The twin's clock is nominal: its frames/s are simulated time, not a timing result.
    clock = "twin's nominal clock, simulated time, no timing analysis behind it" if target == "sim" else "PL clock"
    lines = [f"  throughput test, batch of {tp['batch_size']} frames, timed by the accelerator's cycle counter at "
             f"the {clock} ({tp['fclk[mhz]']} MHz):",
             f"    {tp['cycles_per_frame']:.1f} cycles/frame (analytic {tp['cycles_per_frame_analytic']}), "
             f"latency {tp['latency_cycles']} cycles"]
    if "throughput[images/s]" in tp:
        lines.append(f"    {tp['throughput[images/s]']:,.0f} frames/s over the batch "
                     f"({tp['steady_throughput[images/s]']:,.0f} steady), latency {tp['latency[us]']:.2f} us, "
                     f"DMA in {tp['DRAM_in_bandwidth[MB/s]']:.1f} MB/s, out {tp['DRAM_out_bandwidth[MB/s]']:.1f} MB/s")
    host = "the simulation, not a board" if target == "sim" else "this host"
    lines.append(f"    end to end in {host}: {tp['host_throughput[images/s]']:,.0f} frames/s "
                 f"(pack {tp['pack_input[ms]']:.2f} ms, DMA wait {tp['dma_wait[ms]']:.2f} ms, "
                 f"unpack {tp['unpack_output[ms]']:.2f} ms)")
    return "\n".join(lines)


def run_deploy(out: Path, board: str = "pynq-z2", log=print) -> dict:
    """DIR/deploy/ for a PYNQ board; recorded as the deploy side run (DIR/deploy/stage.json)."""
    from sbn_hw.runtime.deploy import write_deploy

    from sbn_hw.runtime.deploy import check_deploy_board

    bd = BuildDir(out)
    bd.record("compile", required_by=DEPLOY)
    check_deploy_board(board)  # before the finished package is touched
    bd.begin(DEPLOY)  # the record goes inside the folder write_deploy replaces: begin, write, finish
    rec = write_deploy(Path(out), board)
    bd.finish(DEPLOY, rec)
    log(f"deploy: {rec['directory']} for {rec['board']} (bitstream {rec['bitstream']}, {rec['test_frames']} test "
        f"frames); copy it to the board and run `sudo -E python3 validate.py` there (README.md)")
    return rec
