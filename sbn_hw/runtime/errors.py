"""The driver's errors. On the board there is no sbn_hw package, so they derive from RuntimeError
there; on the host they are also SbnHwError, so the CLI prints them as user-facing messages."""

try:  # host: the CLI turns SbnHwError into a message and a non-zero exit
    from sbn_hw import SbnHwError as _Base
except ImportError:  # board: the driver stands alone
    _Base = RuntimeError


class AcceleratorError(_Base):
    """Anything the driver refuses or cannot do; the message names the fix."""


class BitfileMismatch(AcceleratorError):
    """The loaded bitfile is not the accelerator the description describes."""


class InputError(AcceleratorError, ValueError):
    """Inputs of the wrong shape, type or range for this accelerator."""


class DmaTimeout(AcceleratorError, TimeoutError):
    """A DMA transfer did not finish and the accelerator stopped making progress."""


class DmaError(AcceleratorError):
    """AXI DMA reported an error (decode, slave or internal) in its status register."""
