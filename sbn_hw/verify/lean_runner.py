"""cocotb's Verilator runner, as sbn-hw runs it: each run's own settings win over the shell's
environment (RunVerilator), optionally without --public-flat-rw (LeanVerilator, see run_cocotb's
`lean`)."""

from __future__ import annotations

from cocotb_tools.runner import Verilator

from sbn_hw import SbnHwError

PUBLIC_FLAG = "--public-flat-rw"


class RunVerilator(Verilator):
    """cocotb's runner copies the whole process environment over a test's extra_env; several runs
    at once (run_cocotb_parallel) each need their own settings, whatever the shell exports, so
    `run_env` is applied last."""

    run_env: dict[str, str] = {}

    def _set_env_test(self) -> None:
        super()._set_env_test()
        self.env.update(self.run_env)


class LeanVerilator(RunVerilator):
    """Builds like cocotb's Verilator runner, minus the flag that makes every signal public."""

    def _build_command(self):
        cmds = super()._build_command()
        if not any(PUBLIC_FLAG in cmd for cmd in cmds):
            # cocotb changed how it builds: fail loudly rather than silently build the slow model.
            raise SbnHwError(f"cocotb's Verilator build no longer passes {PUBLIC_FLAG}; update "
                             "sbn_hw/verify/lean_runner.py for the installed cocotb")
        return [[arg for arg in cmd if arg != PUBLIC_FLAG] for cmd in cmds]
