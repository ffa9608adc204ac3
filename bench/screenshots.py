"""The README's pictures of the page: chromium against a real `regstance serve` on 127.0.0.1.

python -m bench.screenshots [--index scored.parquet ...]   (or: make screenshots)

Writes artifacts/page-classify.png (the seed page pasted and classified) and
artifacts/page-index.png (the weekly index of the shipped example, one week hovered).
Needs Debian's chromium (apt-get install chromium); Playwright never downloads a browser.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed-article.txt"
EXAMPLE = ROOT / "artifacts" / "scored-2025-example.parquet"


def _serve(index: list[Path]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [
        str(Path(sys.executable).with_name("regstance")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    for path in index:
        args += ["--index", str(path)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("regstance serve did not become ready in 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index", type=Path, action="append", help="scored files (default: the shipped example)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc, base = _serve(args.index or [EXAMPLE])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium)
            page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=1)
            page.goto(f"{base}/")
            page.fill("#body", SEED.read_text(encoding="utf-8"))
            page.click("#classify-button")
            page.wait_for_selector("#result:not([hidden])")
            page.eval_on_selector("#body", "box => { box.scrollTop = 0; }")
            page.screenshot(path=args.out / "page-classify.png", full_page=True)

            page.goto(f"{base}/stance-index")
            page.wait_for_selector("#chart svg")
            bands = page.locator("#chart .band")
            bands.nth(bands.count() * 2 // 3).hover()
            page.screenshot(path=args.out / "page-index.png", full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"wrote {args.out / 'page-classify.png'} and {args.out / 'page-index.png'}")


if __name__ == "__main__":
    main()
