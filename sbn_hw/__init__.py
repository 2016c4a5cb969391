"""sbn-hw: self-binarizing networks from training to bit-exact streaming FPGA accelerators."""

__version__ = "0.1.0"


class SbnHwError(Exception):
    """A user-facing error: the message names the problem and how to fix it."""
