"""The stamp every bench output carries: machine, software, device, dtype, threads and the exact command."""

from __future__ import annotations

import os
import platform
import shlex
import sys

import torch


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages (runnable processes), where the OS reports them."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed, quoted so it can be pasted back into a shell."""
    argv = sys.argv if argv is None else argv
    prog = os.path.basename(argv[0]) if argv else "rlt"
    if prog in ("main.py", "__main__.py", "-m", "-c"):
        prog = "rlt"
    return shlex.join([prog, *argv[1:]])


def machine_stamp(device: torch.device, dtype: torch.dtype) -> dict:
    """Where and how a run happened, for the JSON and Markdown outputs."""
    stamp = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "device": str(device),
        "device_name": _cpu_model(),
        "dtype": str(dtype).removeprefix("torch."),
        "load_average": load_average(),
    }
    if device.type == "cuda":
        stamp["device_name"] = torch.cuda.get_device_name(device)
        stamp["cuda"] = torch.version.cuda
    return stamp
