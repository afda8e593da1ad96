"""Screenshots of the embedded sample's pages for the README (issue 18 item 6).

    python docs/screenshots/make_screenshots.py                    # every page (or: make screenshots)
    python docs/screenshots/make_screenshots.py --pages report     # only report.html's screenshot

Runs the commands a user would (``plan``, ``review``, ``scenarios``, ``frontier``) on the embedded sample in
a temporary folder, loads each page in headless Chromium at a projector's width (1400 px), keeps the top
``--height`` pixels (the headline, the contents bar and the first sections: what a meeting sees first) and
writes it as a 256-colour PNG, optimised, to ``docs/screenshots/<page>.png`` (about 100-300 KB each).
Needs Chromium (``apt-get install chromium``) and Pillow (installed with matplotlib).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
WIDTH = 1400
# page -> (the command that writes it, the page's file in the command's --out folder)
PAGES: dict[str, tuple[list[str], str]] = {
    "report": (["plan", "--time-limit", "30"], "report.html"),
    "review": (["review"], "review.html"),
    "comparison": (["scenarios"], "comparison.html"),
    "frontier": (["frontier", "--budgets", "0,25000,50000,100000"], "frontier.html"),
}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """The Chromium executable, or exit with how to install it."""
    names = ("chromium", "chromium-browser", "google-chrome")
    found = next((p for p in (shutil.which(n) for n in names) if p), None)
    if found is None:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    return found


def write_page(page: str, work: Path) -> Path:
    """Run the command that writes ``page`` on the embedded sample; the page's path."""
    args, name = PAGES[page]
    out = work / page
    subprocess.run([sys.executable, "-m", "capacity_planner", *args, "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out / name


def screenshot(page: Path, png: Path, height: int) -> Path:
    """``page`` in headless Chromium, ``WIDTH`` x ``height`` pixels, as a palette PNG at ``png``."""
    raw = png.with_suffix(".raw.png")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={WIDTH},{height}", "--virtual-time-budget=5000",
                        f"--screenshot={raw}", page.as_uri()],
                       check=True, capture_output=True, timeout=180)
    with Image.open(raw) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
        small.save(png, optimize=True)
    raw.unlink()
    return png


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of {', '.join(PAGES)}")
    parser.add_argument("--height", type=int, default=1800, help="pixels kept from the top of each page")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs (default: this folder)")
    args = parser.parse_args(argv)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in PAGES]
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}: expected {', '.join(PAGES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="capacity-planner-screens-") as tmp:
        for page in pages:
            png = screenshot(write_page(page, Path(tmp)), args.out / f"{page}.png", args.height)
            print(f"{png}: {png.stat().st_size / 1024:,.0f} KB")


if __name__ == "__main__":
    main()
