"""HLS backend: Vitis-HLS C++ for the accelerator description (kernels in hls/), C-simulated with g++."""

from sbn_hw.hlsgen.csim import CsimResult, run_csim
from sbn_hw.hlsgen.generate import HlsBuild, generate_hls
from sbn_hw.hlsgen.headers import hls_include_dir

__all__ = ["CsimResult", "HlsBuild", "generate_hls", "hls_include_dir", "run_csim"]
