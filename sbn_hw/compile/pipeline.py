"""The compile stage as one call: QONNX file -> FINN graph + folding + accelerator description."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from sbn_hw import SbnHwError
from sbn_hw.compile.accel import DSP_MAX_IN_BITS, Accelerator, check_folding
from sbn_hw.compile.finn_frontend import finn_hw_to_accelerator, qonnx_to_finn_hw, set_finn_folding
from sbn_hw.compile.folding import (LOGIC_MAX_DEPTH, RES_TYPE_VALUES, auto_folding, divisors, folding_json,
                                    read_folding_json, resolve_ram_style, stream_unit_lanes, streams_compatible)
from sbn_hw.export import load_onnx

DEFAULT_TARGET_CYCLES = 512
# The share of a board's LUT / BRAM / DSP the accelerator may take under --budget: the rest is for
# the shell (DMA, interconnect, control) and the resource model's error (benchmarks/cnv.py shows it).
BUDGET_SHARE = 0.85


@dataclass
class CompileResult:
    accel: Accelerator
    finn_model: object  # qonnx ModelWrapper of the folded FINN HW graph
    folding_config: dict  # FINN-format folding JSON of the chosen folding
    folding_ignored: list[str]  # what a --folding file (or --res-type) asked that means nothing here
    budget_choice: dict | None = None  # --budget: the board, the target chosen and the model's estimate


def check_folding_source(folding_file: Path | None, target_cycles: int | None, budget: str | None = None) -> None:
    """At most one of a folding file, a target cycles per frame (>= 1) and a board budget;
    checked before any work."""
    given = [o for o, v in (("--folding", folding_file), ("--target-cycles", target_cycles), ("--budget", budget))
             if v is not None]
    if len(given) > 1:
        raise SbnHwError(f"give only one of --folding, --target-cycles and --budget (got {' and '.join(given)})")
    if budget is not None:
        budget_of_board(budget)
    if folding_file is not None and not Path(folding_file).is_file():
        raise SbnHwError(f"folding file '{folding_file}' does not exist")
    if target_cycles is not None and target_cycles < 1:
        raise SbnHwError(f"--target-cycles must be at least 1, got {target_cycles}")


def budget_of_board(board: str) -> dict[str, float]:
    """The LUT / BRAM36 / DSP the accelerator may use on a board (BUDGET_SHARE of its capacity)."""
    from sbn_hw.boards import load_board

    b = load_board(board)
    cap = b.capacity
    if "lut" not in cap or "bram36" not in cap:
        raise SbnHwError(f"board {board} gives no LUT and BRAM36 capacity (its block RAM is counted otherwise); "
                         "--budget needs a Xilinx board: choose one from boards/ or use --target-cycles")
    return {k: cap[k] * BUDGET_SHARE for k in ("lut", "bram36", "dsp") if k in cap}


def check_built_within_budget(accel: Accelerator, choice: dict) -> dict:
    """The description compile finally builds, within the budget --budget folded FINN's layout for:
    a model's own encodings keep FINN's folding but may cost more (and_act's count of input ones,
    LAB units). Returns its estimate; raises naming what is over and the way out."""
    from sbn_hw.compile.resources import accelerator_estimate

    est, _ = accelerator_estimate(accel)
    over = [f"{k} {getattr(est, k):,.1f} > {v:,.1f}" for k, v in choice["allowed"].items() if getattr(est, k) > v]
    if over:
        raise SbnHwError(f"--budget {choice['board']}: the folding chosen for FINN's layout fits, but this model's own "
                         f"encodings (and_act popcounts, LAB units) need {', '.join(over)}; give a slower "
                         f"--target-cycles instead (e.g. {2 * choice['target_cycles']}) and check it with sbn-hw synth")
    return est.as_dict()


def candidate_targets(accel: Accelerator) -> list[int]:
    """The cycles per frame worth trying as targets, fastest first: every value a matrix layer's
    folding can give (PE and SIMD dividing its shape), none below what the stream units reach."""
    floor = stream_units_floor(accel)
    values = {(l.mw // simd) * (l.mh // pe) * l.vectors for l in accel.layers if l.kind == "mvau"
              for pe in divisors(l.mh) for simd in divisors(l.mw)}
    return sorted({v for v in values if v >= floor} | {max(floor, 1)})


def int_res_type_choices(accel: Accelerator, res_type: str = "auto") -> list[str]:
    """The resTypes fold_for_budget may give the integer-input layers: "auto" tries DSP48s first
    (far fewer LUTs) where a layer has such inputs, then LUTs; "lut" or "dsp" only that."""
    if res_type != "auto":
        return [res_type]
    has_int = any(l.kind == "mvau" and l.dsp_capable for l in accel.layers)
    return ["dsp", "lut"] if has_int else ["lut"]


def fold_for_budget(accel: Accelerator, budget: dict[str, float], res_type: str = "auto"
                    ) -> tuple[int, list, "Estimate", str]:
    """The fastest automatic folding whose modelled resources (compile.resources) fit `budget`
    ({lut, bram36, dsp}): tries the candidate targets from the fastest, each with the integer
    layers' resTypes (int_res_type_choices) and, where the LUTs run out, with the deeper weight
    memories in block RAM (weights_in_block_ram), and keeps the first that fits. Returns (target
    cycles per frame, folding, estimate, the integer layers' resType)."""
    from sbn_hw.compile.resources import accelerator_estimate

    est = None
    for target in candidate_targets(accel):
        auto = choose_folding(accel, None, target)
        for folding in (auto, weights_in_block_ram(accel, auto)):
            for rt in int_res_type_choices(accel, res_type):
                est, _ = accelerator_estimate(accel.with_int_res_type(rt).with_folding(folding))
                if est.fits(budget):
                    return target, folding, est, rt
    need = ", ".join(f"{k} {getattr(est, k):,.1f} > {v:,.1f}" for k, v in budget.items() if getattr(est, k) > v)
    raise SbnHwError(f"no folding fits the budget: even the slowest ({target:,} cycles per frame) needs {need} "
                     f"(model estimate, {BUDGET_SHARE:.0%} of the board); choose a larger board")


def weights_in_block_ram(accel: Accelerator, folding: list) -> list:
    """The folding with every MVAU weight memory deeper than LOGIC_MAX_DEPTH words that "auto" left
    to LUTs put in block RAM: "auto" weighs LUTs against block RAM at a fixed rate, which a design
    out of LUTs with block RAM to spare should not pay (mnist5k SFC at 64 cycles per frame: its
    first layer's 64 x 3,264-bit weight codes, about 8,000 LUTs in Yosys, become 45.5 BRAM36)."""
    out = list(folding)
    for i, (l, f) in enumerate(zip(accel.layers, folding)):
        if l.kind != "mvau" or f[2] != "auto":
            continue
        depth, width = replace(l, pe=f[0], simd=f[1]).weight_memory_shape
        if depth > LOGIC_MAX_DEPTH and resolve_ram_style("auto", depth, width) != "block":
            out[i] = (f[0], f[1], "block", *f[3:])
    return out


def threshold_pe(layer, neighbour_simd: int | None, target_cycles: int) -> int:
    """PE of a threshold layer: the next layer's SIMD when allowed (one beat in, one beat out: it
    never slows the stream), else the fewest lanes meeting the target that stream into it."""
    allowed = [d for d in divisors(layer.elements) if layer.channels == 1 or layer.channels % d == 0]
    if neighbour_simd in allowed:
        return neighbour_simd
    fits = [d for d in allowed if neighbour_simd is None or streams_compatible(d, neighbour_simd)]
    meeting = [d for d in fits if layer.elements // d <= target_cycles]
    return min(meeting) if meeting else max(fits)


def choose_folding(accel: Accelerator, folding_file: Path | None, target_cycles: int | None,
                   ignored: list[str] | None = None, later_layers: dict[str, str] | None = None
                   ) -> list[tuple]:
    """(PE, SIMD, ram_style, ram_style_thresholds) per layer, from a FINN folding file (its
    "Defaults" apply to every layer; PE/SIMD default to 1, memory styles to "auto"; an MVAU's
    entry gets a fifth element, its resType, "auto" where the file gives none) or, without
    one, the cheapest folding meeting the target cycles per frame with "auto" memory styles.
    A threshold layer's entry is (PE, PE, "auto", its memory style); a sliding window's
    (SIMD, SIMD, "auto", "auto"), a pool's (PE, PE, "auto", "auto"). later_layers: {name: kind} of
    layers added to the description after FINN's (LAB units): the file may name them (lab_pes)."""
    names = [l.name for l in accel.layers]
    check_folding_source(folding_file, target_cycles)
    if folding_file is not None:
        later = later_layers or {}
        cfg = read_folding_json(folding_file, names + list(later), kinds=[l.kind for l in accel.layers] + list(later.values()),
                                ignored=ignored)
        folding = []
        for l in accel.layers:
            c = cfg[l.name]
            pe, simd = int(c["PE"] or 1), int(c["SIMD"] or 1)
            if l.kind == "threshold":
                folding.append((pe, pe, "auto", c["ram_style"] or "auto"))
            elif l.kind in ("window", "pool"):
                lanes = c["SIMD"] if l.kind == "window" else c["PE"]
                folding.append((lanes, lanes, "auto", "auto") if lanes else None)  # None: chosen below
            else:
                check_folding(l.name, l.mw, l.mh, pe, simd)
                res_type = c["resType"] or "auto"
                if res_type == "dsp" and l.mode != "int":  # FINN may build these on DSPs; here they are popcounts
                    if ignored is not None:
                        ignored.append(f"{l.name}.resType=\"dsp\" (a {l.mode} layer is a popcount in LUTs)")
                    res_type = "auto"
                elif res_type == "dsp" and l.in_bits > DSP_MAX_IN_BITS:
                    if ignored is not None:
                        ignored.append(f"{l.name}.resType=\"dsp\" (its {l.in_bits}-bit inputs are wider than the "
                                       f"DSP packing's {DSP_MAX_IN_BITS}: LUTs)")
                    res_type = "auto"
                folding.append((pe, simd, c["ram_style"] or "auto", c["ram_style_thresholds"] or "auto", res_type))
        # A sliding window or pool the file leaves out (finn-examples' CNV names no pool) is folded
        # so that it keeps up with the slowest matrix layer, not left at one lane.
        slowest = max(replace(l, pe=f[0], simd=f[1]).cycles for l, f in zip(accel.layers, folding) if l.kind == "mvau")
        return _fold_stream_units(accel, folding, slowest)
    # Without a target, no matrix layer is made faster than the stream units can ever feed it.
    target = target_cycles or max(DEFAULT_TARGET_CYCLES, stream_units_floor(accel))
    folding: list = [None] * len(accel.layers)
    # MVAUs first, each run of adjacent ones kept stream-compatible; then the units between them.
    run: list[int] = []
    for i, l in enumerate([*accel.layers, None]):
        if l is not None and l.kind == "mvau":
            run.append(i)
            continue
        shapes = [(accel.layers[j].mw, accel.layers[j].mh, accel.layers[j].vectors) for j in run]
        for j, f in zip(run, auto_folding(shapes, target) if run else []):
            folding[j] = (*f, "auto", "auto")
        run = []
    return widen_for_windows(accel, _fold_stream_units(accel, folding, target), target)


def widen_for_windows(accel: Accelerator, folding: list, target: int) -> list:
    """A sliding window's lanes must divide or be divided by both neighbours' widths, so MVAUs
    folded one by one can leave it too narrow (CNV: after PE 16 and before SIMD 48, 16 lanes and
    28,224 cycles for a 10,923 target). For each such window, the MVAU after it takes the next wider
    SIMD that lets the window meet the target (the MVAU only gets faster)."""
    folding = list(folding)
    for i, l in enumerate(accel.layers[:-1]):
        nxt = accel.layers[i + 1]
        elements = max(l.in_elems, l.out_elems) if l.kind == "window" else 0
        if l.kind != "window" or nxt.kind != "mvau" or elements // folding[i][0] <= target:
            continue
        prev = [folding[i - 1][0]] if i > 0 else []
        for simd in (d for d in divisors(nxt.mw) if d > folding[i + 1][1]):
            lanes = stream_unit_lanes(l.channels, elements, [*prev, simd], target)
            if elements // lanes <= target:
                folding[i] = (lanes, lanes, "auto", "auto")
                folding[i + 1] = (folding[i + 1][0], simd, *folding[i + 1][2:])
                break
    return folding


def lab_pes(accel: Accelerator, folding_file: Path) -> Accelerator:
    """The LAB units' PE from a folding file that names them (LAB_0: {"PE": n}); units it leaves
    out keep the PE chosen for them. Checked like every layer: PE divides the channels, and the
    streams on both sides stay compatible (Accelerator)."""
    names, kinds = [l.name for l in accel.layers], [l.kind for l in accel.layers]
    cfg = read_folding_json(folding_file, names, kinds)
    folding = [(cfg[l.name]["PE"],) * 2 + ("auto", "auto") if l.kind == "lab" and cfg[l.name]["PE"] else f
               for l, f in zip(accel.layers, accel.folding)]
    return accel.with_folding(folding)


def stream_units_floor(accel: Accelerator) -> int:
    """The fewest cycles per frame the sliding-window and pool units can reach at all (their lanes
    divide their channels): a 1-channel image's first window moves one element per cycle, so a
    28x28 image's 3x3 windows take 26*26*9 cycles whatever the MVAUs do."""
    floors = [max(l.in_elems, l.out_elems) // l.channels if l.kind == "window" else l.in_elems // l.channels
              for l in accel.layers if l.kind in ("window", "pool")]
    return max(floors, default=0)


def _fold_stream_units(accel: Accelerator, folding: list, target: int) -> list:
    """Fill the entries left None (threshold, sliding-window and pool layers) from their folded
    neighbours: the fewest lanes that stream to them and meet `target` cycles per frame."""
    folding = list(folding)
    for i, l in enumerate(accel.layers):
        if folding[i] is not None:
            continue
        prev = folding[i - 1][0] if i > 0 else None  # out elements per beat of the layer before
        nxt = folding[i + 1][1] if i + 1 < len(folding) and folding[i + 1] else None
        if l.kind == "threshold":
            pe = threshold_pe(l, nxt, target)
        else:
            words = max(l.in_elems, l.out_elems) if l.kind == "window" else l.in_elems
            pe = stream_unit_lanes(l.channels, words, [n for n in (prev, nxt) if n], target)
        folding[i] = (pe, pe, "auto", "auto")
    return folding


def compile_qonnx(
    qonnx_path: Path,
    input_dtype: str = "UINT8",
    input_scale: float = 1.0,
    folding_file: Path | None = None,
    target_cycles: int | None = None,
    later_layers: dict[str, str] | None = None,
    budget: str | None = None,
    res_type: str = "auto",
) -> CompileResult:
    """QONNX file -> folded FINN graph + accelerator description, in memory (nothing is written, so
    a bad folding file or an unsupported model leaves a finished build untouched). later_layers:
    see choose_folding. budget: a board name (boards/): the fastest folding whose modelled
    resources fit BUDGET_SHARE of it (fold_for_budget). res_type: the integer-input layers'
    arithmetic, "lut" or "dsp" (DSP48s); "auto": --budget chooses, else LUTs (a folding file's
    resType, per layer, comes after either)."""
    check_folding_source(folding_file, target_cycles, budget)
    check_res_type_option(res_type)
    model = qonnx_to_finn_hw(load_onnx(qonnx_path), input_dtype, input_scale)
    unfolded = finn_hw_to_accelerator(model, input_dtype, input_scale)
    choice, budget_folding = None, None
    if budget is not None:
        allowed = budget_of_board(budget)
        target_cycles, budget_folding, est, res_type = fold_for_budget(unfolded, allowed, res_type)
        choice = {"board": budget, "target_cycles": target_cycles, "estimate": est.as_dict(), "res_type": res_type,
                  "allowed": {k: round(v, 1) for k, v in allowed.items()}}
    if res_type != "auto":
        unfolded = unfolded.with_int_res_type(res_type)
    ignored: list[str] = []
    # --budget's folding as it was estimated (its memory styles included), else the file's or the target's.
    folding = budget_folding or choose_folding(unfolded, folding_file, target_cycles, ignored, later_layers)
    accel = unfolded.with_folding(folding)  # validates stream compatibility, resolves "auto" memory styles
    names = [l.name for l in accel.layers]
    model = set_finn_folding(model, {n: (f[0], f[1]) for n, f in zip(names, accel.folding)})
    if res_type == "dsp" and "dsp" not in accel.res_types:
        ignored.append(f"--res-type dsp (no layer with integer inputs of at most {DSP_MAX_IN_BITS} bits: all in LUTs)")
    return CompileResult(accel, model, folding_json(names, accel.folding, [l.kind for l in accel.layers],
                                                    accel.res_types), ignored, choice)


def check_res_type_option(res_type: str) -> None:
    if res_type not in RES_TYPE_VALUES:
        raise SbnHwError(f"--res-type must be one of {', '.join(RES_TYPE_VALUES)}, got '{res_type}'")


def save_compile(res: CompileResult, out_dir: Path, accel: Accelerator | None = None) -> dict[str, Path]:
    """Write the FINN graph, the folding JSON and the description (`accel`, default FINN's)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"finn_graph": out_dir / "finn_hw.onnx", "folding": out_dir / "folding.json",
             "accelerator": out_dir / "accelerator.npz"}
    tmp = out_dir / "finn_hw.onnx.partial"
    res.finn_model.save(str(tmp))
    os.replace(tmp, paths["finn_graph"])
    paths["folding"].write_text(json.dumps(res.folding_config, indent=2))
    (accel or res.accel).save(paths["accelerator"])
    return paths
