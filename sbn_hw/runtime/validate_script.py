#!/usr/bin/env python3
"""Run a .npy test set through the accelerator on this board: accuracy and throughput.

    sudo -E python3 validate.py                    # the .bit here, test_x.npy / test_y.npy
    python3 validate.py --inputs x.npy --labels y.npy --frames 1000

Needs only numpy and pynq (a stock PYNQ image). On a host with sbn-hw, --target sim runs the
same code against the simulated twin (--bitfile the .twin.json).
"""

import argparse
import glob
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def find_bitfile() -> str:
    bits = sorted(glob.glob(os.path.join(HERE, "*.bit")))
    if len(bits) != 1:
        sys.exit(f"validate.py: expected one .bit file in {HERE}, found {len(bits)}; build it with Vivado "
                 "(see README.md) or pass --bitfile")
    return bits[0]


def run(argv=None) -> dict:
    sys.path.insert(0, HERE)  # the driver copied beside this script
    from sbn_runtime import Accelerator

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bitfile", help="the .bit (its .hwh beside it); default: the one in this folder")
    p.add_argument("--description", default=os.path.join(HERE, "description.json"))
    p.add_argument("--inputs", default=os.path.join(HERE, "test_x.npy"), help="frames as the model takes them")
    p.add_argument("--labels", default=os.path.join(HERE, "test_y.npy"), help="class per frame (optional)")
    p.add_argument("--frames", type=int, help="use only the first FRAMES frames")
    p.add_argument("--batch-size", type=int, help="frames per DMA transfer")
    p.add_argument("--target", default="pynq", choices=("pynq", "sim"))
    args = p.parse_args(argv)
    x = np.load(args.inputs)[: args.frames]
    labels = np.load(args.labels)[: args.frames] if os.path.isfile(args.labels) else None
    with Accelerator(args.bitfile or find_bitfile(), args.description, target=args.target,
                     batch_size=args.batch_size) as acc:
        pred = acc.predict(x)
        res = {"frames": int(len(x)), "predictions": pred}
        if labels is not None:
            res["accuracy"] = float((pred == labels).mean())
            print(f"accuracy {res['accuracy']:.4f} on {len(x)} frames")
        else:
            print(f"{len(x)} frames classified (no labels file: no accuracy)")
        res["throughput"] = tp = acc.throughput_test()
    print(f"throughput {tp.get('throughput[images/s]', float('nan')):,.0f} frames/s over a batch of "
          f"{tp['batch_size']} ({tp['cycles_per_frame']:.1f} cycles/frame, analytic {tp['cycles_per_frame_analytic']}) "
          f"at {tp['fclk[mhz]']} MHz; latency {tp.get('latency[us]', float('nan')):.2f} us")
    print(f"DMA bandwidth in {tp.get('DRAM_in_bandwidth[MB/s]', float('nan')):.1f} MB/s, "
          f"out {tp.get('DRAM_out_bandwidth[MB/s]', float('nan')):.1f} MB/s; "
          f"host end to end {tp['host_throughput[images/s]']:,.0f} frames/s")
    return res


if __name__ == "__main__":
    try:
        run()
    except Exception as e:  # the driver's errors name the fix; no traceback for them
        if type(e).__name__ in ("AcceleratorError", "BitfileMismatch", "InputError", "DmaTimeout", "DmaError"):
            sys.exit(f"validate.py: {e}")
        raise
