"""Token statistics of RLT on real videos: per clip, per video, over a dataset, and over tau.

Everything streams: inputs are walked lazily, clips are decoded one at a time,
and rows go to JSON/CSV as each video finishes, so memory does not grow with
the number or length of videos. The plan of a clip is computed once
(:func:`plan_clip`) and reused for counts, reconstruction and pictures.
"""

from .clip import ClipPlan, ClipTally, plan_clip, plan_clip_taus, plan_cut_clip
from .config import StatsConfig
from .summary import StatsSummary
from .sweep import Sampling, SweepJob, SweepSummary, VideoSweep
from .video import ClipFrames, VideoFailure, VideoJob, VideoResult, clip_at, iter_clips, video_stats

__all__ = [
    "ClipPlan", "ClipTally", "plan_clip", "plan_clip_taus", "plan_cut_clip", "StatsConfig", "StatsSummary", "Sampling",
    "SweepJob", "SweepSummary", "VideoSweep", "ClipFrames", "VideoFailure", "VideoJob", "VideoResult",
    "clip_at", "iter_clips", "video_stats",
]
