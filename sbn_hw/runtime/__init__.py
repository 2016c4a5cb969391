"""The runtime: a PYNQ driver for sbn-hw accelerators (driver.Accelerator) that also drives the
simulated twin (target "sim"). The files the board needs depend on numpy and pynq only
(BOARD_FILES); describe, twin, simpynq and deploy run on the host."""

from .driver import Accelerator, Job
from .errors import AcceleratorError, BitfileMismatch, DmaError, DmaTimeout, InputError

# What the deploy package copies to the board (numpy + pynq only).
BOARD_FILES = ("__init__.py", "errors.py", "packing.py", "description.py", "dma.py", "driver.py")
