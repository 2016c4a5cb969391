"""The generated files: the Vitis HLS Tcl script run in tclsh with the Vitis commands stubbed, the
dataflow top and the memory-style pragmas, and argument checks before anything is written."""

import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from sbn_hw import SbnHwError
from sbn_hw.hlsgen import generate as gen
from tests.hlsgen.accels import random_accel

VITIS_COMMANDS = ("open_project", "set_top", "add_files", "open_solution", "set_part", "create_clock",
                  "config_compile", "config_rtl", "csim_design", "csynth_design", "cosim_design", "export_design")

# Each Vitis command becomes a proc that records its arguments; `exit` prints the record instead.
STUBS = """
set ::calls {}
foreach cmd {%s} {
    proc $cmd args [format {lappend ::calls [list %%s {*}$args]} $cmd]
}
rename exit __exit
proc exit args { foreach c $::calls { puts [join $c "\\t"] }; __exit 0 }
set argv {%s}
set argc [llength $argv]
source {%s}
puts "NO EXIT"
"""


def tcl_calls(script, argv: str = "") -> list[list[str]]:
    if shutil.which("tclsh") is None:
        pytest.skip("tclsh is not installed")
    wrapper = script.with_name("stub_vitis.tcl")
    wrapper.write_text(STUBS % (" ".join(VITIS_COMMANDS), argv, script))
    proc = subprocess.run(["tclsh", str(wrapper)], capture_output=True, text=True, timeout=60, cwd=script.parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert "NO EXIT" not in proc.stdout
    return [line.split("\t") for line in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    accel, _ = random_accel(np.random.default_rng(2), [16, 8, 4], ["int", "xnor"], [(2, 4), (4, 2)], "UINT8", frames=8)
    return gen.generate_hls(accel, tmp_path_factory.mktemp("hls"), part="xczu3eg-sbva484-1-i", clock_ns=5)


def test_vitis_script_is_valid_tcl_naming_part_and_top(build):
    calls = tcl_calls(build.tcl)
    names = [c[0] for c in calls]
    assert names == ["open_project", "set_top", "add_files", "add_files", "open_solution", "set_part", "create_clock",
                     "config_rtl", "csynth_design", "export_design"]
    by = {c[0]: c[1:] for c in calls}
    assert by["set_part"] == ["xczu3eg-sbva484-1-i"] and by["set_top"] == [gen.TOP_NAME]
    assert by["create_clock"][:2] == ["-period", "5"]
    design, tb = calls[2][1:], calls[3][1:]
    assert design[0] == str(build.directory / gen.TOP_SOURCE) and (build.directory / gen.TOP_SOURCE).is_file()
    assert tb[:2] == ["-tb", str(build.testbench)]
    assert f"-I{build.directory}" in design[-1]  # the kernels' headers are found next to the top
    export = by["export_design"]
    assert export[export.index("-format") + 1] == "ip_catalog"


def test_kernel_script_synthesises_the_free_running_kernel_to_verilog(build):
    """The Vivado flow's script: the ap_ctrl_none kernel, active-low reset, C synthesis only (the
    Verilog is taken from the solution into the shell's IP), in its own project."""
    calls = tcl_calls(build.kernel_tcl)
    by = {c[0]: c[1:] for c in calls}
    assert by["set_top"] == [gen.KERNEL_NAME] and by["open_project"] == ["-reset", gen.KERNEL_PROJECT]
    assert by["config_rtl"] == ["-reset_level", "low"] and "csynth_design" in by and "export_design" not in by
    assert by["set_part"] == ["xczu3eg-sbva484-1-i"]
    top = (build.directory / gen.TOP_SOURCE).read_text()
    kernel = top.split(f"void {gen.KERNEL_NAME}(")[1]
    assert "#pragma HLS INTERFACE ap_ctrl_none port=return" in kernel and "#pragma HLS DATAFLOW" in kernel
    assert "s_axilite" not in kernel  # nothing to start it: it restarts by itself


def test_part_from_the_command_line_wins(build):
    calls = tcl_calls(build.tcl, argv="xc7z020clg400-1")
    assert ["set_part", "xc7z020clg400-1"] in calls


@pytest.mark.parametrize("part", ["", "xc7z020 clg400", "x[exit]"])
def test_bad_part_is_refused_before_writing(part, tmp_path):
    accel, _ = random_accel(np.random.default_rng(2), [8, 4, 2], ["xnor", "xnor"], [(1, 1), (1, 1)], "BINARY", frames=4)
    with pytest.raises(SbnHwError, match="part"):
        gen.generate_hls(accel, tmp_path / "hls", part=part)
    assert not (tmp_path / "hls").exists()


def test_dataflow_top_and_memory_styles(tmp_path):
    accel, _ = random_accel(np.random.default_rng(4), [16, 8, 8, 4], ["int", "xnor", "xnor"], [(2, 4), (4, 2), (2, 4)],
                            "UINT8", frames=8)
    styles = [("block", "distributed"), ("distributed", "logic"), ("logic", "auto")]
    accel = replace(accel, layers=tuple(replace(l, ram_style=w, ram_style_thresholds=t)
                                        for l, (w, t) in zip(accel.layers, styles)))
    b = gen.generate_hls(accel, tmp_path)
    top = (tmp_path / gen.TOP_SOURCE).read_text()
    assert "#pragma HLS DATAFLOW" in top and "#pragma HLS INTERFACE axis port=s_axis" in top
    calls = [line.strip() for line in top.splitlines() if line.strip().startswith("sbn_accel_")]
    chain = ["sbn_accel_layer0(s_axis, l0_out, {f});", "sbn_accel_dwc0(l0_out, l1_in, {f});",
             "sbn_accel_layer1(l1_in, l1_out, {f});", "sbn_accel_dwc1(l1_out, l2_in, {f});",
             "sbn_accel_layer2(l2_in, m_axis, {f});"]
    # the top on `frames` frames, then the free-running kernel on one frame per start
    assert calls == [c.format(f="frames") for c in chain] + [c.format(f="1") for c in chain]
    l0, l1, l2 = ((tmp_path / gen.layer_header_name(i)).read_text() for i in range(3))
    assert "variable=weights type=rom_1p impl=bram" in l0 and "variable=thresholds type=rom_1p impl=lutram" in l0
    assert "variable=weights type=rom_1p impl=lutram" in l1 and "ARRAY_PARTITION variable=thresholds complete" in l1
    assert "ARRAY_PARTITION variable=weights complete" in l2 and "thresholds" not in l2.split("{", 1)[1]
    assert "sbn_mvau_integer<" in l2 and "sbn_mvau_threshold<" in l0
    assert b.sources[0].name == gen.TOP_SOURCE and all(p.is_file() for p in b.sources)


def test_every_kernel_template_parameter_is_commented():
    """Each header in hls/ documents its template parameters (one comment line naming each)."""
    import re

    from sbn_hw.paths import resource_dir

    for f in gen.LIBRARY_FILES:
        text = (resource_dir("hls") / f).read_text()
        comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("//"))
        for params in re.findall(r"template <([^>]*)>", text):
            for p in params.split(","):
                name = p.split()[-1]
                assert re.search(rf"\b{name}\b", comments), f"{f}: template parameter {name} is not commented"


def test_convolutional_accelerators_are_refused_naming_the_rtl(tmp_path):
    from tests.verify.test_accelerator import conv_accel

    accel, _ = conv_accel(np.random.default_rng(1), frames=2)
    with pytest.raises(SbnHwError, match="no sliding-window or max-pool kernels yet .* RTL"):
        gen.generate_hls(accel, tmp_path / "hls")
    assert not (tmp_path / "hls").exists()
