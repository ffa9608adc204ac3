"""Build step beside pyproject.toml: compile the jurisdiction extractor's hot loop with mypyc.

`classifier/mentions.py` stays plain, typed Python (the source of truth, and what runs
wherever the compiled module is missing); mypyc turns it into a C extension that runs
the same code about 1.5 times as fast (`python -m bench.stages`). Nothing it compiles
is pickled, so a saved model loads the same either way. A failed compile (no C
compiler) leaves the pure-Python module in place; REGSTANCE_PURE_PYTHON=1 skips it.
"""

import os

from setuptools import setup

COMPILED = ["classifier/mentions.py"]


def ext_modules() -> list:
    if os.environ.get("REGSTANCE_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify

    # mypy reads only these files: the rest of the package (and its untyped dependencies,
    # absent from the isolated build environment) is imported at run time as usual
    extensions = mypycify(["--ignore-missing-imports", "--follow-imports=silent", *COMPILED], opt_level="3")
    for extension in extensions:
        extension.optional = True  # a compiler error falls back to the .py, never fails the install
    return extensions


setup(ext_modules=ext_modules())
