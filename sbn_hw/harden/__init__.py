"""Harden a trained self-binarizing model into an exactly binary Brevitas model."""

from sbn_hw.harden.brevitas_model import HardenedMLP, harden

__all__ = ["HardenedMLP", "harden"]
