"""cocotb's Verilator runner without --public-flat-rw (see run_cocotb's `lean`)."""

from __future__ import annotations

from cocotb_tools.runner import Verilator


class LeanVerilator(Verilator):
    """Builds like cocotb's Verilator runner, minus the flag that makes every signal public."""

    def _build_command(self):
        cmds = super()._build_command()
        return [[arg for arg in cmd if arg != "--public-flat-rw"] for cmd in cmds]
