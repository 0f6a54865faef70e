"""Motion patterns of the generated dataset: the class of a clip is how its main object moves.

Every pattern is a pure function of the frame times and a random generator and
returns the object's path as arrays over frames, in units of the frame side
(``x``, ``y`` in [0, 1] of the frame, ``angle`` in radians, ``scale`` relative to
the object's base size). No single frame tells the classes apart: start
positions, sizes and orientations are drawn from the same ranges for every
class, so a model has to compare frames (direction, rotation, scale change,
speed). Example::

    path = object_path("right", num_frames=64, rng=np.random.default_rng(0))
    path.x.shape    # (64,), increasing by about 0.25 over the clip
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TRAVEL = 0.25  # frame sides crossed over a clip at normal speed
FAST = 2.4  # speed of the "fast" classes relative to normal
SPEED_JITTER = 0.15  # per-clip speed varies by +-15%, so normal and fast never overlap
TURN = np.pi  # radians turned over a clip by the rotating classes
GROWTH = 1.8  # scale ratio between the first and last frame of grow / shrink
MARGIN = 0.15  # the object's centre stays this far (in frame sides) from the borders


@dataclass(frozen=True)
class Path:
    """Where an object is at each frame (frame-side units; the camera is applied later)."""

    x: np.ndarray  # (F,) centre, left to right, 0..1
    y: np.ndarray  # (F,) centre, top to bottom, 0..1
    angle: np.ndarray  # (F,) radians, counter-clockwise on screen
    scale: np.ndarray  # (F,) size relative to the object's base size


def _place(dx: np.ndarray, dy: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Offsets ``dx, dy`` (F,) moved to a random start that keeps the whole path inside the margins."""
    xs = []
    for d in (dx, dy):
        lo, hi = MARGIN - d.min(), 1 - MARGIN - d.max()
        start = rng.uniform(lo, hi) if hi > lo else (lo + hi) / 2
        xs.append(start + d)
    return xs[0], xs[1]


def _linear(direction: tuple[float, float], speed: float) -> Callable[[np.ndarray, np.random.Generator], Path]:
    vx, vy = np.asarray(direction, float) / np.hypot(*direction)

    def pattern(s: np.ndarray, rng: np.random.Generator) -> Path:
        travel = TRAVEL * speed * rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
        x, y = _place(vx * travel * s, vy * travel * s, rng)
        return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), np.ones_like(s))

    return pattern


def _rotate(sign: float) -> Callable[[np.ndarray, np.random.Generator], Path]:
    def pattern(s: np.ndarray, rng: np.random.Generator) -> Path:
        turn = TURN * rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
        x, y = _place(np.zeros_like(s), np.zeros_like(s), rng)
        return Path(x, y, rng.uniform(0, 2 * np.pi) + sign * turn * s, np.ones_like(s))

    return pattern


def _zoom(sign: float) -> Callable[[np.ndarray, np.random.Generator], Path]:
    def pattern(s: np.ndarray, rng: np.random.Generator) -> Path:
        ratio = GROWTH ** rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
        x, y = _place(np.zeros_like(s), np.zeros_like(s), rng)
        # geometric mean size 1 for both directions, so a frame's size says nothing about the class
        scale = ratio ** (sign * (s - 0.5))
        return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), scale)

    return pattern


def _circle(sign: float) -> Callable[[np.ndarray, np.random.Generator], Path]:
    def pattern(s: np.ndarray, rng: np.random.Generator) -> Path:
        turns = rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
        phase = rng.uniform(0, 2 * np.pi) + sign * 2 * np.pi * turns * s
        radius = 0.12
        x, y = _place(radius * np.cos(phase), -radius * np.sin(phase), rng)
        return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), np.ones_like(s))

    return pattern


def _oscillate(axis: int) -> Callable[[np.ndarray, np.random.Generator], Path]:
    def pattern(s: np.ndarray, rng: np.random.Generator) -> Path:
        cycles = 3 * rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
        wave = 0.1 * np.sin(rng.uniform(0, 2 * np.pi) + 2 * np.pi * cycles * s)
        zero = np.zeros_like(s)
        x, y = _place(wave if axis == 0 else zero, wave if axis == 1 else zero, rng)
        return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), np.ones_like(s))

    return pattern


def _stop_and_go(s: np.ndarray, rng: np.random.Generator) -> Path:
    # moves right for a quarter of the clip, rests for a quarter, and so on
    cycles = 4 * rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
    phase = (rng.uniform(0, 1) + cycles * s) % 1.0
    moving = (phase < 0.5).astype(float)
    step = np.diff(s, prepend=s[0]) * moving
    x, y = _place(2 * TRAVEL * np.cumsum(step), np.zeros_like(s), rng)
    return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), np.ones_like(s))


def _pulse(s: np.ndarray, rng: np.random.Generator) -> Path:
    cycles = 2 * rng.uniform(1 - SPEED_JITTER, 1 + SPEED_JITTER)
    scale = GROWTH ** (0.5 * np.sin(rng.uniform(0, 2 * np.pi) + 2 * np.pi * cycles * s))
    x, y = _place(np.zeros_like(s), np.zeros_like(s), rng)
    return Path(x, y, np.full_like(s, rng.uniform(0, 2 * np.pi)), scale)


# Class names in label order; ``--classes N`` takes the first N. The first ten cover
# direction, rotation, scale change and speed; the next ten add finer distinctions.
PATTERNS: dict[str, Callable[[np.ndarray, np.random.Generator], Path]] = {
    "move_right": _linear((1, 0), 1.0),
    "move_left": _linear((-1, 0), 1.0),
    "move_up": _linear((0, -1), 1.0),
    "move_down": _linear((0, 1), 1.0),
    "rotate_clockwise": _rotate(-1.0),
    "rotate_counterclockwise": _rotate(1.0),
    "grow": _zoom(1.0),
    "shrink": _zoom(-1.0),
    "move_right_fast": _linear((1, 0), FAST),
    "circle_clockwise": _circle(-1.0),
    "move_left_fast": _linear((-1, 0), FAST),
    "circle_counterclockwise": _circle(1.0),
    "move_up_fast": _linear((0, -1), FAST),
    "move_down_fast": _linear((0, 1), FAST),
    "move_up_right": _linear((1, -1), 1.0),
    "move_down_left": _linear((-1, 1), 1.0),
    "oscillate_horizontally": _oscillate(0),
    "oscillate_vertically": _oscillate(1),
    "stop_and_go_right": _stop_and_go,
    "pulse": _pulse,
}
CLASS_NAMES: tuple[str, ...] = tuple(PATTERNS)
MIN_CLASSES, MAX_CLASSES = 2, len(CLASS_NAMES)


def object_path(name: str, num_frames: int, rng: np.random.Generator) -> Path:
    """The path of a main object of class ``name`` over ``num_frames`` frames."""
    if name not in PATTERNS:
        raise ValueError(f"unknown motion class {name!r}; expected one of {', '.join(CLASS_NAMES)}")
    s = np.linspace(0.0, 1.0, num_frames)  # (F,) time as a fraction of the clip
    return PATTERNS[name](s, rng)


def wander_path(num_frames: int, rng: np.random.Generator, *, amplitude: float = 0.15) -> Path:
    """A distractor's path: a smooth random walk and wobble that carries no class information."""
    s = np.linspace(0.0, 1.0, num_frames)
    knots = np.linspace(0.0, 1.0, 5)
    walk = [np.interp(s, knots, rng.normal(0.0, amplitude, size=5)) for _ in range(3)]  # (F,) each
    x, y = _place(walk[0], walk[1], rng)
    return Path(x, y, rng.uniform(0, 2 * np.pi) + 4 * walk[2], np.ones_like(s))
