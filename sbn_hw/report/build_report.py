"""Gather every stage's record into report.json and a readable report.md."""

from __future__ import annotations

from pathlib import Path

from sbn_hw.pipeline.builddir import BuildDir, write_json_atomic
from sbn_hw.report import plots


def collect_report(out: Path) -> dict:
    bd = BuildDir(out)
    tr, ex, co, si, sy = (bd.record(s) for s in ("train", "export", "compile", "simulate", "synth"))
    cfg = tr.get("config", {})
    return {
        "dataset": cfg.get("dataset"),
        "model": cfg.get("model", co.get("onnx")),
        "method": cfg.get("method"),
        "input_mode": cfg.get("input_mode"),
        "train_config": cfg,
        "accuracy": {
            "smooth": ex.get("accuracy_smooth", tr.get("accuracy_smooth")),
            "hardened": ex.get("accuracy_hardened"),
            "qonnx": ex.get("accuracy_qonnx"),
            "golden": co.get("accuracy_golden"),
            "rtl": si.get("accuracy_rtl"),
        },
        "smooth_hard_agreement": ex.get("smooth_hard_agreement"),
        "frames_checked_against_finn": co.get("frames_checked_against_finn"),
        "frames_simulated": si.get("frames_simulated"),
        "mismatches": si.get("mismatches"),
        "cycles_per_frame": {"measured": si.get("cycles_per_frame_measured"),
                             "analytic": si.get("cycles_per_frame_analytic", co.get("cycles_per_frame_analytic"))},
        "fps_at_100mhz": si.get("fps_at_100mhz"),
        "layers": co.get("layers", []),
        "resources": sy.get("resources"),
        "resources_per_layer": sy.get("layers"),
        "utilization": sy.get("utilization"),
        "board": sy.get("board"),
        "seconds": {s: r.get("seconds") for s, r in zip(("train", "export", "compile", "simulate", "synth"),
                                                        (tr, ex, co, si, sy)) if r},
        "history": tr.get("history", []),
    }


def _fmt(v, spec=".4f"):
    return "–" if v is None else format(v, spec)


def write_report(out: Path) -> tuple[Path, Path]:
    out = Path(out)
    rep = collect_report(out)
    figs = []
    if rep["history"]:
        figs.append(("Training", plots.training_curves(rep["history"], out / "training.png")))
    names = [l["name"] for l in rep["layers"]]
    if rep["layers"]:
        figs.append(("Cycles per frame by layer (the slowest sets the throughput)", plots.layer_bars(
            names, {"analytic cycles": [l["cycles"] for l in rep["layers"]]}, "cycles per frame", "cycles",
            out / "cycles.png", rep["cycles_per_frame"]["measured"])))
    if rep["resources_per_layer"]:
        per = rep["resources_per_layer"]
        figs.append(("Resources by layer", plots.layer_bars(
            names, {"LUT": [p["lut"] for p in per], "FF": [p["ff"] for p in per]}, "resources per layer (Yosys, xc7)",
            "cells", out / "resources.png")))
    acc = rep["accuracy"]
    lines = [
        f"# sbn-hw build report: {rep['method'] or ''} {rep['model']} on {rep['dataset']}",
        "",
        "## Accuracy (test set)",
        "",
        "| trained (smooth at nu_max for sbn) | hardened (Brevitas) | QONNX | golden model | RTL simulation |",
        "|---|---|---|---|---|",
        f"| {_fmt(acc['smooth'])} | {_fmt(acc['hardened'])} | {_fmt(acc['qonnx'])} | {_fmt(acc['golden'])} | {_fmt(acc['rtl'])} |",
        "",
        f"Smooth/hard agreement: {_fmt(rep['smooth_hard_agreement'])}. "
        f"Frames checked golden vs FINN: {rep['frames_checked_against_finn']}. "
        f"Frames simulated in RTL: {rep['frames_simulated']}, mismatches: {rep['mismatches']}.",
        "",
        "## Throughput",
        "",
        f"Cycles per frame: measured {_fmt(rep['cycles_per_frame']['measured'], '.1f')}, analytic "
        f"{rep['cycles_per_frame']['analytic']}; {_fmt(rep['fps_at_100mhz'], ',.0f')} frames/s at 100 MHz.",
        "",
        "| layer | MW x MH | mode | PE | SIMD | cycles/frame | LUT | FF | BRAM36 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    per = rep["resources_per_layer"] or [{}] * len(rep["layers"])
    for l, r in zip(rep["layers"], per):
        lines.append(f"| {l['name']} | {l['mw']} x {l['mh']} | {l['mode']} | {l['pe']} | {l['simd']} | {l['cycles']} | "
                     f"{r.get('lut', '–')} | {r.get('ff', '–')} | {r.get('bram', '–')} |")
    if rep["resources"]:
        r, u = rep["resources"], rep["utilization"]
        lines += ["", f"## Resources ({rep['board']}, Yosys synth_xilinx estimate)", "",
                  f"LUT {r['lut']} ({u['lut']:.1%}), FF {r['ff']} ({u['ff']:.1%}), BRAM36 {r['bram']:g} "
                  f"({u['bram']:.1%}), DSP {r['dsp']}."]
    lines += ["", "## Time per stage (s)", "", "| " + " | ".join(rep["seconds"]) + " |",
              "|" + "---|" * len(rep["seconds"]), "| " + " | ".join(f"{v:.1f}" for v in rep["seconds"].values()) + " |"]
    for title, path in figs:
        lines += ["", f"## {title}", "", f"![{title}]({path.name})"]
    md = out / "report.md"
    write_json_atomic(out / "report.json", {k: v for k, v in rep.items() if k != "history"})
    md.write_text("\n".join(lines) + "\n")
    return out / "report.json", md
