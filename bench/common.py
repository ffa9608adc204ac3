"""What every benchmark records beside its numbers: where and on what code it ran."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import psutil


def mentions_build() -> str:
    """Whether the extractor's loop ran compiled (setup.py, mypyc) or as Python: ~1.4x apart."""
    import classifier.mentions

    return "mypyc" if Path(classifier.mentions.__file__).suffix != ".py" else "pure Python"


def machine_info(**extra: object) -> dict:
    """Cores, Python, platform and load: numbers from a loaded machine are not comparable."""
    return {
        "cpus": psutil.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "mentions_build": mentions_build(),
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
