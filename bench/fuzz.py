"""A longer schemathesis fuzz of the API than the suite's bounded one: no 5xx for any generated input.

python -m bench.fuzz --examples 500
"""

from __future__ import annotations

import argparse
import collections
import time

from hypothesis import HealthCheck, given, settings

from classifier.api import create_app
from classifier.config import Settings
from classifier.model import load_model


def fuzz(examples: int) -> tuple[collections.Counter, list]:
    """Every operation of the OpenAPI schema, `examples` generated cases each."""
    import schemathesis

    app = create_app(Settings(), model=load_model())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    codes: collections.Counter = collections.Counter()
    failures: list = []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=op.as_strategy())
        def check(case) -> None:
            response = case.call()
            codes[(case.method, case.path, response.status_code)] += 1
            if response.status_code >= 500:
                failures.append((case.method, case.path, response.status_code, response.text[:300]))

        check()
    return codes, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500, help="generated cases per operation")
    args = parser.parse_args()
    start = time.perf_counter()
    codes, failures = fuzz(args.examples)
    for (method, path, code), n in sorted(codes.items()):
        print(f"{method:5} {path:22} {code}  x{n}")
    print(
        f"{sum(codes.values())} requests in {time.perf_counter() - start:.0f} s; {len(failures)} server errors"
    )
    for failure in failures[:10]:
        print("5xx:", failure)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
