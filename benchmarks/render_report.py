"""Render a `limitkit reproduce` report in headless Chromium and save a screenshot, to check it as a
person would (figures legible, tables in place).

    python benchmarks/render_report.py results/report.html --out results/report-screenshot.png

Needs Debian's `chromium` (apt-get install chromium). Prints the screenshot path, its size, and the
number of embedded figures found in the HTML.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def render(html: Path, out: Path, width: int = 1200, height: int = 9000) -> Path:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        sys.exit("chromium not found: install it with `apt-get install chromium`")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", f"--window-size={width},{height}", "--hide-scrollbars",
               f"--screenshot={out.resolve()}", html.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=9000)
    args = ap.parse_args()
    out = args.out or args.html.with_name("report-screenshot.png")
    render(args.html, out, args.width, args.height)
    n_fig = args.html.read_text(encoding="utf-8").count("data:image/png;base64,")
    print(f"screenshot: {out} ({out.stat().st_size:,} bytes), embedded figures: {n_fig}")


if __name__ == "__main__":
    main()
