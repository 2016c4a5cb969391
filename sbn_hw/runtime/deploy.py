"""`sbn-hw deploy`: DIR/deploy/, the folder to copy to a PYNQ board.

It holds the bitstream and .hwh (when `sbn-hw bitstream` ran Vivado for this board), the driver
(sbn_runtime/: numpy + pynq only), description.json, validate.py, the build's test set as the
model takes it (test_x.npy, test_y.npy) and a README. Written to deploy.partial/ and renamed, so
a folder named deploy/ is always complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from sbn_hw import SbnHwError
from sbn_hw.runtime import BOARD_FILES

RUNTIME_DIR = Path(__file__).resolve().parent
PACKAGE = "sbn_runtime"  # the driver's name on the board


def copy_driver(dest: Path) -> Path:
    pkg = dest / PACKAGE
    pkg.mkdir(parents=True)
    for f in BOARD_FILES:
        shutil.copyfile(RUNTIME_DIR / f, pkg / f)
    return pkg


def built_bitstream(out: Path, board: str) -> tuple[Path, Path] | None:
    """(.bit, .hwh) when the bitstream side run made them for `board`, else None."""
    from sbn_hw.pipeline.builddir import BuildDir

    rec = BuildDir(out).record("bitstream")
    if rec.get("vivado") != "run" or rec.get("board") != board:
        return None
    bit, hwh = Path(rec["bitfile"]), Path(rec["hwh"])
    return (bit, hwh) if bit.is_file() and hwh.is_file() else None


def test_set(out: Path):
    """The build's test set as the model takes it (floats) and its labels; None for a user's ONNX."""
    from sbn_hw.pipeline.builddir import BuildDir
    from sbn_hw.pipeline.stages import own_flow_inputs
    from sbn_hw.verify.inputs import hw_inputs_to_user

    if not BuildDir(out).has("train"):
        return None
    x_hw, labels, dtype, scale = own_flow_inputs(out)
    shape = input_shape(out)  # a conv model takes N x C x H x W; its frames stream H, W, C
    chw = tuple(shape[1:]) if len(shape) == 4 else None
    x = hw_inputs_to_user(x_hw, dtype, scale, chw).astype(np.float32)
    return (x.reshape(len(x), *chw) if chw else x), np.asarray(labels, np.int64)


def input_shape(out: Path):
    from sbn_hw.data import load_dataset
    from sbn_hw.models.zoo import model_input_chw
    from sbn_hw.pipeline.builddir import BuildDir
    from sbn_hw.train import TrainConfig

    rec = BuildDir(out).record("train")
    if not rec:
        return None
    cfg = TrainConfig(**rec["config"])
    data = load_dataset(cfg.dataset, seed=cfg.seed, data_dir=cfg.data_dir)
    chw = model_input_chw(cfg.model, data.features, data.image_shape)
    return [1, *chw] if chw else [1, *data.image_shape]  # a conv model's N x C x H x W; an MLP's image


def readme(board, name: str, bit: bool, has_test_set: bool, vivado_command: str | None) -> str:
    folder = "sbn_deploy"
    lines = [f"# {name} on {board.title or board.name}", "",
             "Built by sbn-hw. Everything here runs on a stock PYNQ image (PYNQ 2.7 / 3.0: Python 3.8-3.10, "
             "numpy and pynq); nothing to install.", ""]
    if not bit:
        lines += ["**No bitstream yet.** Vivado has not been run for this board. On a machine with Vivado:", "",
                  "```bash", vivado_command or f"sbn-hw bitstream --out BUILD --board {board.name}", "```", "",
                  f"then `sbn-hw deploy --out BUILD --board {board.name}` again: the .bit and .hwh land here.", ""]
    lines += ["## On the board", "", "```bash", f"scp -r deploy xilinx@<board>:~/{folder}      # from the host",
              f"ssh xilinx@<board>", f"cd ~/{folder}",
              "sudo -E python3 validate.py       # PYNQ 3.0: first `sudo -i` and `source /etc/profile.d/pynq_venv.sh`",
              "```", "",
              "validate.py " + ("runs test_x.npy / test_y.npy (the build's test set)" if has_test_set
                                else "needs --inputs X.npy (and --labels Y.npy)") +
              " and prints accuracy and throughput (frames/s, latency, DMA bandwidth, PL clock).", "",
              "## From Python", "", "```python", "import sys; sys.path.insert(0, '.')",
              "from sbn_runtime import Accelerator", f"acc = Accelerator('{name}.bit')   # description.json beside it",
              "logits = acc.execute(x)      # x: float32, N x features (or N x C x H x W) as the model takes it",
              "classes = acc.predict(x)", "job = acc.execute_async(x); logits = acc.wait(job)",
              "print(acc.throughput_test())", "```", "",
              "The driver checks the bitfile against description.json over AXI-Lite (magic, description hash, "
              "stream widths) and stops with a message when they differ, when inputs have the wrong shape or "
              "values, or when a DMA transfer stops making progress (timeout_s).", ""]
    return "\n".join(lines)


def check_deploy_board(board_name: str):
    """The board, if it is one PYNQ runs on (a Vivado-flow board)."""
    from sbn_hw.boards import load_board

    board = load_board(board_name)
    if board.flow != "vivado":
        raise SbnHwError(f"board '{board.name}' is not a PYNQ board (it uses the {board.flow} flow): choose one "
                         "whose flow is vivado (`sbn-hw boards`)")
    return board


def write_deploy(out: Path, board_name: str) -> dict:
    """Write OUT/deploy/ for `board_name` (a PYNQ board: boards/ name or JSON path). Returns the
    record also written as deploy/deploy.json."""
    from sbn_hw.boards import load_board
    from sbn_hw.compile.accel import Accelerator
    from sbn_hw.pipeline.builddir import BuildDir, write_json_atomic
    from sbn_hw.runtime.describe import write_description

    out = Path(out)
    board = check_deploy_board(board_name)
    crec = BuildDir(out).record("compile", required_by="deploy")
    accel = Accelerator.load(crec["accelerator"])
    dest, tmp = out / "deploy", out / "deploy.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    copy_driver(tmp)
    shutil.copyfile(RUNTIME_DIR / "validate_script.py", tmp / "validate.py")
    ts = test_set(out)
    if ts is not None:
        np.save(tmp / "test_x.npy", ts[0])
        np.save(tmp / "test_y.npy", ts[1])
    brec = BuildDir(out).record("bitstream")
    clock = brec.get("clock_mhz") if brec.get("board") == board.name else None
    write_description(accel, tmp / "description.json", input_shape=input_shape(out), clock_mhz=clock or board.clock_mhz)
    bits = built_bitstream(out, board.name)
    if bits:  # PYNQ finds the .hwh by the .bit's name
        for f in bits:
            shutil.copyfile(f, tmp / f"{accel.name}{f.suffix}")
    command = brec.get("command") if brec.get("board") == board.name else None
    (tmp / "README.md").write_text(readme(board, accel.name, bool(bits), ts is not None, command))
    rec = {"board": board.name, "name": accel.name, "bitstream": "included" if bits else "not built",
           "bitfile": f"{accel.name}.bit" if bits else None, "test_frames": int(len(ts[0])) if ts else 0,
           "driver": PACKAGE, "files": sorted(p.name for p in tmp.iterdir()) + ["deploy.json"]}
    write_json_atomic(tmp / "deploy.json", rec)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return {**rec, "directory": str(dest)}
