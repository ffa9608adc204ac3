"""A guard for the modules setup.py compiles with mypyc (mentions.py, tokens.py).

Python imports a compiled module before its source, so a build older than the source
it came from would run the old code unnoticed: importing the package warns instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def builds(directory: Path = PACKAGE_DIR) -> list[tuple[Path, Path]]:
    """(source, compiled module) of every module built from a source beside it (mypyc's runtime
    libraries, which have none, are left out)."""
    found = []
    for built in sorted(directory.glob("*.so")) + sorted(directory.glob("*.pyd")):
        source = built.with_name(built.name.split(".")[0] + ".py")
        if source.exists():
            found.append((source, built))
    return found


def stale_builds(directory: Path = PACKAGE_DIR) -> list[tuple[Path, Path]]:
    """(source, compiled module) pairs where the source changed after the module was built."""
    return [(s, b) for s, b in builds(directory) if s.stat().st_mtime > b.stat().st_mtime]


def compiled_modules(directory: Path = PACKAGE_DIR) -> list[str]:
    """The modules that run compiled here ("mentions", "tokens"), which benchmarks record:
    a pure-Python run is slower and not comparable."""
    return [source.stem for source, _ in builds(directory)]


def warn_if_stale() -> None:
    for source, built in stale_builds():
        warnings.warn(
            f"{source} changed after {built.name} was compiled from it, and the compiled (old) code "
            "runs: rebuild with `make install` (or `pip install -e .`), or delete the .so files",
            RuntimeWarning,
            stacklevel=3,
        )
