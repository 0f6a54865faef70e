"""Pure tensor functions for Run-Length Tokenization. No modules, no I/O, no globals."""

from .grid import Grid, check_video
from .normalize import IMAGENET_MEAN, IMAGENET_STD, denormalize, normalize
from .packed import PackedBatch
from .packing import (
    cu_seqlens_from,
    expand_runs,
    gather_packed,
    pack_indices,
    run_source_index,
    sequence_ids,
    unpack,
)
from .patchify import patchify, unpatchify
from .reconstruct import psnr, reconstruct
from .segments import Segments
from .runs import run_lengths_grid, run_starts
from .static import MODES, NORMS, static_keep
from .tokenize import gather_tubelets, tokenize, tokenize_dense

__all__ = [
    "Grid", "check_video", "IMAGENET_MEAN", "IMAGENET_STD", "normalize", "denormalize",
    "PackedBatch", "cu_seqlens_from", "expand_runs", "gather_packed", "pack_indices",
    "run_source_index", "sequence_ids", "unpack", "patchify", "unpatchify", "psnr",
    "reconstruct", "Segments", "run_lengths_grid", "run_starts", "MODES", "NORMS", "static_keep",
    "gather_tubelets", "tokenize", "tokenize_dense",
]
