"""Verification: simulator discovery, cocotb runs, stream driver/monitor, scoreboards."""
