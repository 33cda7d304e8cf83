"""How big and how fast the report page is for a DJ's library: synthesised results (as
`keyscan analyze --format jsonl` writes them) for N tracks, `keyscan report` over them,
then the page loaded from file:// in headless Chromium, timed in the browser from
navigation start to the first rows and the wheel on screen (`window.keyscanRenderedMs`, set
in the frame after the first render), median of --loads loads, each in a fresh page; and
the time a click on the busiest wheel sector takes to filter and re-render the table.

Usage: benchmark_report.py KEYSCAN [--tracks 1000 20000] [--loads 5]
Prints one Markdown table row per size, as docs/report.md shows them.
"""
import argparse
import json
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

NAMES = ["A minor", "Bb minor", "B minor", "C minor", "C# minor", "D minor", "Eb minor", "E minor", "F minor", "F# minor", "G minor", "Ab minor"]
WORDS = "night deep sun city love dream fire blue echo gold rain run wild heart soul dance light high".split()


def key_fields(k):
    """name, camelot, openkey of class index k (0…11 = 1A…12A, 12…23 = 1B…12B)."""
    number, minor = k % 12 + 1, k < 12
    tonic = ((9 if minor else 0) + 7 * (number - 8)) % 12
    names = ["C", "C#" if minor else "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    return (f"{names[tonic]} {'minor' if minor else 'major'}", f"{number}{'A' if minor else 'B'}",
            f"{(number + 4) % 12 + 1}{'m' if minor else 'd'}")


def result(i, rng):
    """One plausible track: 15 % change key once or twice, tuning mostly within ±10 cents."""
    artist, album = rng.randrange(max(1, i // 40 + 1) + 50), rng.randrange(8)
    path = f"/home/dj/Music/Artist {artist:03d}/Album {album}/{i % 14 + 1:02d} {' '.join(rng.sample(WORDS, 3)).title()} {i}.mp3"
    duration = rng.uniform(150, 480)
    cents = max(-49.9, min(49.9, rng.gauss(0, 8) if rng.random() < 0.9 else rng.uniform(-50, 50)))
    keys = [rng.randrange(24)]
    for _ in range(rng.choice([1, 2]) if rng.random() < 0.15 else 0):
        keys.append(rng.randrange(24))
    bounds = [0] + sorted(rng.uniform(30, duration - 30) for _ in keys[1:]) + [duration]
    segments = [dict(zip(["key", "camelot", "openkey"], key_fields(k)), start_s=round(bounds[j], 2), end_s=round(bounds[j + 1], 2),
                     confidence=round(rng.uniform(0.4, 1), 4)) for j, k in enumerate(keys)]
    confidence = round(rng.uniform(0.35, 1), 4)
    name, camelot, openkey = key_fields(keys[0])
    alternatives = [dict(zip(["key", "camelot", "openkey"], key_fields((keys[0] + d) % 24)), probability=round((1 - confidence) / (d + 1), 4))
                    for d in (12, 1, 11)]
    return {"path": path, "status": "ok", "key": name, "camelot": camelot, "openkey": openkey, "confidence": confidence,
            "alternatives": alternatives, "duration_s": round(duration, 2), "tonality": 0.25,
            "tuning_cents": round(cents, 1), "reference_hz": round(440 * 2 ** (cents / 1200), 2),
            "key_changes": len(keys) - 1, "segments": segments}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keyscan")
    parser.add_argument("--tracks", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    print("| tracks | page size | per track | `keyscan report` | load to rendered (median) | range | click a sector (median) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="keyscan-report-bench-") as work, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for n in args.tracks:
            rng = random.Random(n)
            results = Path(work) / f"results-{n}.jsonl"
            results.write_text("".join(json.dumps(result(i, rng)) + "\n" for i in range(n)))
            page_file = Path(work) / f"library-{n}.html"
            start = time.monotonic()
            subprocess.run([args.keyscan, "report", str(results), "-o", str(page_file)], check=True, capture_output=True)
            report_seconds = time.monotonic() - start
            times, clicks = [], []
            for _ in range(args.loads):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(page_file.as_uri())
                page.wait_for_function("window.keyscanRenderedMs !== undefined", timeout=60000)
                rows = page.locator("tr.track").count()
                total = page.evaluate("[...document.querySelectorAll('#wheel .sector')].reduce((s, g) => s + Number(g.dataset.count), 0)")
                assert rows == min(n, 200) and total == n, (rows, total)
                times.append(page.evaluate("window.keyscanRenderedMs"))
                # A click on the most-used key's sector: the table filtered and re-rendered
                # (synchronous, so timed around the event).
                clicks.append(page.evaluate("""() => {
                    const sectors = [...document.querySelectorAll('#wheel .sector')];
                    const busiest = sectors.reduce((a, b) => Number(a.dataset.count) >= Number(b.dataset.count) ? a : b);
                    const start = performance.now();
                    busiest.dispatchEvent(new MouseEvent('click', {bubbles: true}));
                    return performance.now() - start;
                }"""))
                page.close()
            size = page_file.stat().st_size
            print(f"| {n:,} | {size / 1e6:.2f} MB | {size / n:,.0f} B | {report_seconds:.1f} s | {statistics.median(times):,.0f} ms | "
                  f"{min(times):,.0f}–{max(times):,.0f} ms | {statistics.median(clicks):,.0f} ms |", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
