"""Harden a trained self-binarizing model into an exactly binary Brevitas model."""

from sbn_hw.harden.brevitas_model import HardenedMLP, HardenedModel, harden

__all__ = ["HardenedMLP", "HardenedModel", "harden"]
