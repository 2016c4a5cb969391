"""One MVAU alone through Yosys synth_xilinx (xc7z020): LUTs as logic and as memory, FF, BRAM36,
DSP and synapses per LUT (logic) per cycle, for every accumulator mode and a sweep of PE x SIMD.

    python benchmarks/mvau.py                       # issue 12's four rows, then the sweep
    python benchmarks/mvau.py --quick               # the four rows only
    python benchmarks/mvau.py --mode xnor --shape 256x256 --lanes 4x32 --lanes 16x16

A layer is MW inputs x MH outputs with seeded random weights and thresholds; its folding is
PE x SIMD lanes, so one frame takes (MW/SIMD)*(MH/PE) cycles. "synapses per LUT per cycle" is
PE*SIMD / LUT (logic): the multiply-accumulates a LUT does each cycle. LUT memory (LUT RAM, shift
registers) is counted apart, as Vivado does; "all LUT" divides by logic + memory. int8 rows are the
first layer's int8 x binary mode in LUTs, int8-dsp rows the same on DSP48 slices (resType "dsp":
two lanes per DSP; the xc7z020 has 220).
"model LUT" is compile.resources' estimate (logic + memory), the one --budget folds with.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from provenance import provenance_line, table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sbn_hw.compile.accel import Accelerator, LayerSpec  # noqa: E402
from sbn_hw.compile.resources import accelerator_estimate  # noqa: E402
from sbn_hw.flows.yosys import synthesize  # noqa: E402
from sbn_hw.pipeline.progress import console  # noqa: E402
from sbn_hw.rtlgen import generate_rtl  # noqa: E402

# (mode, input range): the accumulator modes sbn_mvau builds.
MODES = {"xnor": ("xnor", 0, 1), "and": ("and_act", 0, 1), "and_w": ("and_w", 0, 1), "int8": ("int", -128, 127),
         "int8-dsp": ("int", -128, 127)}
# issue 12's table: mnist5k SFC's 256x256 hidden layer and 784x256 int8 first layer at 512 and 32 cycles/frame.
# int8-dsp at 8x49: the 512-cycle row on 200 of the xc7z020's 220 DSPs.
ISSUE_ROWS = [("xnor", 256, 256, 4, 32), ("xnor", 256, 256, 64, 32),
              ("int8", 784, 256, 8, 49), ("int8", 784, 256, 128, 49), ("int8-dsp", 784, 256, 8, 49)]
SWEEP_LANES = [(1, 64), (1, 256), (2, 128), (4, 64), (16, 16), (8, 32), (32, 32), (16, 128)]


def one_layer(mode: str, mw: int, mh: int, pe: int, simd: int, seed: int) -> Accelerator:
    kind, lo, hi = MODES[mode]
    rng = np.random.default_rng(seed)
    # Thresholds near the middle of the accumulator's range (random weights give sums near 0).
    layer = LayerSpec("MVAU_0", mw, mh, pe, simd, kind, lo, hi, rng.integers(0, 2, (mh, mw), dtype=np.uint8),
                      rng.integers(-8, 9, mh).astype(np.int64) + (mw // 2 if kind in ("xnor", "and_w") else 0),
                      rng.integers(0, 2, mh).astype(bool))
    dtype = "INT8" if kind == "int" else "BINARY"
    accel = Accelerator((layer,), dtype, 1.0, np.ones(mh), np.zeros(mh))
    return accel.with_int_res_type("dsp") if mode == "int8-dsp" else accel


def measure(mode: str, mw: int, mh: int, pe: int, simd: int, seed: int, work: Path) -> dict:
    accel = one_layer(mode, mw, mh, pe, simd, seed)
    d = work / f"{mode}_{mw}x{mh}_{pe}x{simd}"
    t0 = time.time()
    r = synthesize(generate_rtl(accel, d / "rtl"), d, 1)["layers"][0]
    lanes = pe * simd
    return {"mode": mode, "shape": f"{mw}x{mh}", "pe": pe, "simd": simd, "lanes": lanes,
            "cycles": (mw // simd) * (mh // pe), "lut_logic": r.lut_logic, "lut_memory": r.lut_memory, "ff": r.ff,
            "bram36": r.bram, "dsp": r.dsp, "syn_per_lut": lanes / max(1, r.lut_logic),
            "syn_per_all_lut": lanes / max(1, r.lut_logic + r.lut_memory),
            "model_lut": accelerator_estimate(accel)[0].lut,
            "memories": r.memories or {}, "seconds": time.time() - t0}


def row(m: dict) -> list:
    mem = ", ".join(f"{k[0]}:{v}" for k, v in sorted(m["memories"].items()))
    return [m["mode"], m["shape"], f"{m['pe']}x{m['simd']}", f"{m['lanes']:,}", f"{m['cycles']:,}",
            f"{m['lut_logic']:,}", f"{m['lut_memory']:,}", f"{m['ff']:,}", f"{m['bram36']:g}", m["dsp"],
            f"{m['syn_per_lut']:.2f}", f"{m['syn_per_all_lut']:.2f}", f"{m['model_lut']:,.0f}", mem,
            f"{m['seconds']:.0f}"]


HEADER = ["mode", "MWxMH", "PExSIMD", "lanes", "cycles/frame", "LUT logic", "LUT mem", "FF", "BRAM36", "DSP",
          "synapses/LUT/cycle", "synapses/all LUT/cycle", "model LUT", "memories (w/t/i)", "synth s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=sorted(MODES), action="append", help="sweep these modes (default: all)")
    ap.add_argument("--shape", default="256x256", help="MWxMH of the sweep's layer")
    ap.add_argument("--lanes", action="append", help="PExSIMD of the sweep (repeatable)")
    ap.add_argument("--quick", action="store_true", help="issue 12's rows only, no sweep")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="keep the builds here (default: a temporary folder)")
    args = ap.parse_args()
    mw, mh = (int(v) for v in args.shape.split("x"))
    lanes = [tuple(int(v) for v in s.split("x")) for s in args.lanes] if args.lanes else SWEEP_LANES
    jobs = [] if (args.mode or args.lanes) else list(ISSUE_ROWS)
    if not args.quick:
        jobs += [(mode, mw if not mode.startswith("int8") else 784, mh, pe, simd) for mode in (args.mode or sorted(MODES))
                 for pe, simd in lanes if mh % pe == 0 and (mw if not mode.startswith("int8") else 784) % simd == 0]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.out or Path(tmp)
        rows = []
        for i, job in enumerate(jobs):
            console.print(f"[{i + 1}/{len(jobs)}] {job[0]} {job[1]}x{job[2]} PE {job[3]} SIMD {job[4]} ...")
            m = measure(*job, args.seed, work)
            console.print(f"  LUT {m['lut_logic']} + {m['lut_memory']} mem, {m['syn_per_lut']:.2f} synapses/LUT/cycle")
            rows.append(row(m))
    print()
    print(table(rows, HEADER))
    print(f"\nYosys synth_xilinx (xc7z020) of one sbn_mvau layer with its output queue; seeded random weights "
          f"(seed {args.seed}). memories: how Yosys built weights / thresholds / input buffer. {provenance_line()}")


if __name__ == "__main__":
    main()
