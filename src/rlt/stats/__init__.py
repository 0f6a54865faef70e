"""Token statistics of RLT on real videos: per clip, per video, over a dataset, and over tau.

Everything streams: inputs are walked lazily, clips are decoded one at a time,
and rows go to JSON/CSV as each video finishes, so memory does not grow with
the number or length of videos. The plan of a clip is computed once
(:func:`plan_clip`) and reused for counts, reconstruction and pictures. Counts
are of real content: padded and duplicated frames are reported apart.
"""

from .clip import ClipPlan, ClipTally, plan_clip, plan_clip_taus, plan_cut_clip
from .config import StatsConfig
from .csv_stream import CsvStream
from .inputs import InputItem, ListOptions, count_inputs, iter_inputs
from .json_stream import JsonStream
from .parallel import CRASH_REASON, ordered_map
from .progress import Progress
from .summary import StatsSummary
from .sweep import POINT_FIELDS, Sampling, SweepJob, SweepSummary, VideoSweep
from .video import ROW_FIELDS, ClipFrames, VideoFailure, VideoJob, VideoResult, clip_at, iter_clips, video_stats

__all__ = [
    "ClipPlan", "ClipTally", "plan_clip", "plan_clip_taus", "plan_cut_clip", "StatsConfig", "CsvStream", "InputItem",
    "ListOptions", "count_inputs", "iter_inputs", "JsonStream", "CRASH_REASON", "ordered_map", "Progress",
    "StatsSummary", "POINT_FIELDS", "Sampling", "SweepJob", "SweepSummary", "VideoSweep", "ROW_FIELDS", "ClipFrames",
    "VideoFailure", "VideoJob", "VideoResult", "clip_at", "iter_clips", "video_stats",
]
