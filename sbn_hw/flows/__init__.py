"""Drivers for the tool scripts in flows/ (Yosys resource estimates)."""

from sbn_hw.flows.yosys import Resources, load_board, synthesize

__all__ = ["Resources", "load_board", "synthesize"]
