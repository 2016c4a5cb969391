"""RTL backend: memory images and a generated top that stitches rtl/ modules into an accelerator."""

from sbn_hw.rtlgen.generate import RTL_LIBRARY, RtlBuild, generate_rtl, layer_params, threshold_words, weight_words

__all__ = ["RTL_LIBRARY", "RtlBuild", "generate_rtl", "layer_params", "threshold_words", "weight_words"]
