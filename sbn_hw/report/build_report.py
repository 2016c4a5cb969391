"""Gather every stage's record into report.json and a readable report.md."""

from __future__ import annotations

from pathlib import Path

from sbn_hw.pipeline.builddir import STAGES, BuildDir, write_json_atomic
from sbn_hw.report import plots


def collect_report(out: Path) -> dict:
    bd = BuildDir(out)
    records = {s: bd.record(s) for s in STAGES}
    tr, ex, co, si, sy = (records[s] for s in STAGES)
    hls, bit = bd.record("hls"), bd.record("bitstream")  # side runs of compile, when they were made
    cfg = tr.get("config", {})
    return {
        "dataset": cfg.get("dataset"),
        "model": cfg.get("model", co.get("onnx")),
        "method": cfg.get("method"),
        "input_mode": cfg.get("input_mode"),
        "input_dtype": co.get("input_dtype"),
        "train_config": cfg,
        "accuracy": {
            "smooth": ex.get("accuracy_smooth", tr.get("accuracy_smooth")),
            "hardened": ex.get("accuracy_hardened"),
            "qonnx": ex.get("accuracy_qonnx"),
            "golden": co.get("accuracy_golden"),
            # Golden and RTL scored on the same frames (all of them unless --max-frames).
            "golden_on_simulated_frames": si.get("accuracy_golden"),
            "rtl": si.get("accuracy_rtl"),
        },
        "frames_test_set": ex.get("frames"),
        "frames_scored_rtl": si.get("frames_scored"),
        "smooth_hard_agreement": ex.get("smooth_hard_agreement"),
        "frames_checked_against_finn": co.get("frames_checked_against_finn"),
        "frames_simulated": si.get("frames_simulated"),
        "mismatches": si.get("mismatches"),
        "simulation": {k: si[k] for k in ("simulated_cycles_per_s", "jobs", "arithmetic") if k in si} or None,
        "cycles_per_frame": {"measured": si.get("cycles_per_frame_measured"),
                             "analytic": si.get("cycles_per_frame_analytic", co.get("cycles_per_frame_analytic"))},
        # Cycles per frame x 100 MHz: no timing analysis stands behind this clock.
        "fps_at_100mhz_timing_not_checked": si.get("fps_at_100mhz_timing_not_checked"),
        "qonnx_check": co.get("qonnx_check"),
        "finn_vs_qonnx": co.get("finn_vs_qonnx"),
        "layers": co.get("layers", []),
        "resources": sy.get("resources"),
        "resources_per_layer": sy.get("layers"),
        "utilization": sy.get("utilization"),
        "board": sy.get("board"),
        "hls": {k: hls[k] for k in ("frames", "mismatches", "accuracy_hls", "part", "vitis_hls", "vitis_tcl") if k in hls} or None,
        "bitstream": {k: v for k, v in bit.items() if k not in ("overlay",)} or None,
        "seconds": {s: r.get("seconds") for s, r in records.items() if r},
        "history": tr.get("history", []),
    }


def _sim_speed(sim: dict | None) -> str:
    """How the RTL simulation ran, for the report: speed, processes, arithmetic's form."""
    if not sim or "simulated_cycles_per_s" not in sim:
        return ""
    return (f" ({sim['simulated_cycles_per_s']:,.0f} simulated cycles per second of the checked run, "
            f"{sim.get('jobs', 1)} simulator process(es); popcounts and threshold counters "
            f"{sim.get('arithmetic', 'as written for synthesis')})")


def _fmt(v, spec=".4f"):
    return "–" if v is None else format(v, spec)


def _ties(check: dict | None) -> str:
    if not check or not check.get("ties"):
        return ""
    return f" ({check['ties']} with an exact tie that QONNX's float32 rounds the other way)"


def _memory_styles(layer: dict) -> str:
    if "ram_style" not in layer:  # a build compiled before memory styles existed, or a unit without memories
        return "–"
    if layer.get("kind") == "threshold":  # its only memory holds thresholds
        return f"– / {layer['ram_style']}"
    return f"{layer['ram_style']} / {layer.get('ram_style_thresholds') or '–'}"


def _layer_shape(layer: dict) -> str:
    """What a layer computes, by kind: an MVAU's matrix (x the vectors of a convolution), a
    threshold unit's elements, a window or pool unit's input map and kernel."""
    kind = layer.get("kind", "mvau")  # builds from before the layer kinds hold MVAUs only
    if kind == "mvau":
        vectors = layer.get("vectors") or 1
        return f"{layer['mw']} x {layer['mh']}" + (f" (x {vectors} pixels)" if vectors > 1 else "")
    if kind == "threshold":
        return f"{layer['elements']} elements, {layer['thresholds']} thresholds"
    h, w, c = layer["ifm"]
    return f"{h}x{w}x{c}, {layer['k']}x{layer['k']}" + (f" stride {layer['stride']}" if kind == "window" else "")


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
            names, {"LUT logic": [p.get("lut_logic", p["lut"]) for p in per],
                    "LUT memory": [p.get("lut_memory", 0) for p in per], "FF": [p["ff"] for p in per]}, "resources per layer (Yosys, xc7)",
            "cells", out / "resources.png")))
    acc = rep["accuracy"]
    lines = [
        f"# sbn-hw build report: {rep['method'] or ''} {rep['model']} on {rep['dataset']}",
        "",
        "## Accuracy (test set)",
        "",
        f"| frames | as trained (sbn: its final forward) | hardened (Brevitas) | QONNX | golden model | RTL simulation |",
        "|---|---|---|---|---|---|",
        f"| all {rep['frames_test_set'] or '–'} | {_fmt(acc['smooth'])} | {_fmt(acc['hardened'])} | {_fmt(acc['qonnx'])} | "
        f"{_fmt(acc['golden'])} | – |",
        f"| the {rep['frames_scored_rtl'] or '–'} simulated | | | | {_fmt(acc['golden_on_simulated_frames'])} | {_fmt(acc['rtl'])} |",
        "",
        f"Smooth/hard agreement: {_fmt(rep['smooth_hard_agreement'])}. "
        f"Frames checked golden vs FINN and vs QONNX, every layer: {rep['frames_checked_against_finn']}"
        f"{_ties(rep['qonnx_check'])}. "
        f"Frames simulated in RTL: {rep['frames_simulated']}, mismatches: {rep['mismatches']}{_sim_speed(rep['simulation'])}.",
        "",
        "## Throughput",
        "",
        f"Cycles per frame: measured {_fmt(rep['cycles_per_frame']['measured'], '.1f')}, analytic "
        f"{rep['cycles_per_frame']['analytic']}; {_fmt(rep['fps_at_100mhz_timing_not_checked'], ',.0f')} frames/s "
        "= cycles per frame x 100 MHz (timing not checked: no place-and-route has shown that clock).",
        "",
        "| layer | shape (MVAU: MW x MH) | mode or unit | PE | SIMD | cycles/frame | memories (weights / thresholds) | LUT | LUT logic "
        "| LUT memory | FF | BRAM36 | DSP |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    per = rep["resources_per_layer"] or [{}] * len(rep["layers"])
    for l, r in zip(rep["layers"], per):
        mode = l.get("mode", l.get("kind")) + (" on DSP48s" if l.get("res_type") == "dsp" else "")
        lines.append(f"| {l['name']} | {_layer_shape(l)} | {mode} | {l.get('pe', '–')} | "
                     f"{l.get('simd', '–')} | {l['cycles']} | "
                     f"{_memory_styles(l)} | {r.get('lut', '–')} | {r.get('lut_logic', '–')} | {r.get('lut_memory', '–')} | "
                     f"{r.get('ff', '–')} | {r.get('bram', '–')} | {r.get('dsp', '–')} |")
    if rep["resources"]:
        r, u = rep["resources"], rep["utilization"]
        split = (f" ({r['lut_logic']} as logic, {r['lut_memory']} as memory: LUT RAM and shift registers)"
                 if "lut_logic" in r else "")
        lines += ["", f"## Resources ({rep['board']}, Yosys synth_xilinx estimate)", "",
                  f"LUT {r['lut']} ({u['lut']:.1%}){split}, FF {r['ff']} ({u['ff']:.1%}), BRAM36 {r['bram']:g} "
                  f"({u['bram']:.1%}), DSP {r['dsp']}.", "",
                  "Memory styles are the description's (FINN's ram_style; \"auto\" chosen by size at compile). "
                  "How Yosys built each memory is in report.json, resources_per_layer[].memories; Yosys maps no "
                  "read-only memory to LUT RAM, so a \"distributed\" one is LUT logic there."]
    if rep["hls"]:
        h = rep["hls"]
        lines += ["", "## HLS backend", "", f"C simulation (g++): {h['frames']} frames, {h['mismatches']} mismatches, every "
                  f"layer vs the golden model" + (f"; accuracy {h['accuracy_hls']:.4f}" if "accuracy_hls" in h else "")
                  + f". Vitis HLS ({h.get('part')}): {h.get('vitis_hls')}; script {h.get('vitis_tcl')}."]
    if rep["bitstream"]:
        b = rep["bitstream"]
        if b.get("flow") == "vivado":
            lines += ["", "## Bitstream", "", f"Board {b.get('board')} ({b.get('part')}), Vivado flow, "
                      f"PL clock {b.get('clock_mhz')} MHz: Vivado {b.get('vivado', '–')}."
                      + (f" Run on a machine with Vivado: `{b['command']}`" if b.get("vivado") == "not run" else "")]
        else:
            f = b.get("fmax_mhz", {})
            lines += ["", "## Bitstream", "", f"Board {b.get('board')} ({b.get('part')}), open ECP5 flow: "
                      f"{b.get('bitfile')}, timing met at {b.get('clock_mhz')} MHz (board design Fmax "
                      f"{f.get('top', 0):.1f} MHz; accelerator alone, out of context, {f.get('core', 0):.1f} MHz)."]
        if b.get("timing"):
            t = b["timing"]
            lines.append(f"Timing: WNS {t.get('wns_ns')} ns, achieved {t.get('achieved_mhz')} MHz.")
    lines += ["", "## Time per stage (s)", "", "| " + " | ".join(rep["seconds"]) + " |",
              "|" + "---|" * len(rep["seconds"]), "| " + " | ".join(f"{v:.1f}" for v in rep["seconds"].values()) + " |"]
    for title, path in figs:
        lines += ["", f"## {title}", "", f"![{title}]({path.name})"]
    md = out / "report.md"
    write_json_atomic(out / "report.json", {k: v for k, v in rep.items() if k != "history"})
    md.write_text("\n".join(lines) + "\n")
    return out / "report.json", md
