"""Video data: decoding, clip sampling, cutting whole videos into clips, transforms, datasets, packed collation.

Workers decode and crop uint8 clips; normalisation and :func:`rlt.tokenize` run
after collation, on the device (:func:`prepare_batch`; see docs/data.md).
"""

from .annotations import (
    Annotations,
    VideoRecord,
    read_any,
    read_class_folders,
    read_ssv2,
    read_video_folder,
    read_video_list,
)
from .backends import available_backends, resolve_backend
from .collate import PackedCollate, TokenizeConfig, collate_clips, pack_video, prepare_batch
from .cut import Clip, CutConfig, cut_clips
from .dataset import ClipConfig, VideoClipDataset
from .decode import probe, read_frames
from .errors import VideoDecodeError
from .failures import FailureReport, ItemFailure, TooManyFailures
from .info import VideoInfo
from .sampling import ClipIndices, clip_rng, consecutive_clips, frames_at_fps, kinetics_clip, segment_clip, test_views

__all__ = [
    "Annotations", "Clip", "ClipConfig", "ClipIndices", "CutConfig", "FailureReport", "ItemFailure", "PackedCollate",
    "TokenizeConfig", "TooManyFailures", "VideoClipDataset", "VideoDecodeError", "VideoInfo", "VideoRecord",
    "available_backends", "clip_rng", "collate_clips", "consecutive_clips", "cut_clips", "frames_at_fps",
    "kinetics_clip", "pack_video", "prepare_batch", "probe", "read_any", "read_class_folders", "read_frames",
    "read_ssv2", "read_video_folder", "read_video_list", "resolve_backend", "segment_clip", "test_views",
]
