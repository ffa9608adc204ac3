"""What every benchmark records beside its numbers: where and on what code it ran."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import psutil

from classifier.builds import compiled_modules


def build_info() -> str:
    """Which modules ran compiled by mypyc (setup.py), or none: the timings differ."""
    return "compiled: " + (", ".join(compiled_modules()) or "none (pure Python)")


def machine_info(**extra: object) -> dict:
    """Cores, Python, platform and load: numbers from a loaded machine are not comparable."""
    return {
        "cpus": psutil.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "build": build_info(),
        **extra,
        "loadavg_at_end": os.getloadavg(),
    }


def git_state() -> str | None:
    """Commit and dirty flag: the cleaning code and the model change under concurrent edits."""
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
