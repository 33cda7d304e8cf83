"""keyscan report in a real browser: synthesised audio with known keys (one track changes
key, one is tuned 30 cents sharp, one is not audio, one is silent), the real binary's
`analyze` and `report`, then the page opened from file:// in Debian's Chromium, headless,
and used the way a person uses it: read the wheel, click a key, add its compatible keys,
switch notation, filter by text, open a track and read its timeline and "mixes into".

Usage: test_report_browser.py KEYSCAN [--screenshots FOLDER] [--keep]
Exits 1 with every failed check listed; prints what it checked and how long it took.
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

import synth

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]

# name: (tonic, minor, seconds, cents); the modulation is two cadences back to back.
TRACKS = {
    "c-major.wav": (0, False, 24, 0),
    "a-minor.wav": (9, True, 24, 0),
    "g-major.wav": (7, False, 24, 0),
    "e-minor.wav": (4, True, 24, 0),
    "f-major.wav": (5, False, 24, 0),
    "d-minor.wav": (2, True, 24, 0),
    "e-major.wav": (4, False, 24, 0),  # 12B: where the modulation, ending in 11B, goes next
    "sharp g-major.wav": (7, False, 24, 30),
}


def camelot(k):
    return f"{k % 12 + 1}{'A' if k < 12 else 'B'}"


def index(camelot_name):
    number, letter = int(camelot_name[:-1]), camelot_name[-1]
    return (0 if letter == "A" else 12) + number - 1


def move(a, b):
    """The DJ move from class index a to b, or None: KeyscanMix's rule, written again."""
    steps = (b % 12 - a % 12) % 12
    same_mode = (a < 12) == (b < 12)
    if same_mode:
        return {0: "same key", 1: "+1", 11: "-1", 2: "energy +2", 7: "energy +7"}.get(steps)
    return "relative" if steps == 0 else None


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, condition, what):
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", file=sys.stderr)


def make_library(work, keyscan):
    music = work / "music"
    music.mkdir()
    for name, (tonic, minor, seconds, cents) in TRACKS.items():
        synth.write_wav(music / name, synth.cadence(tonic, minor, seconds, cents))
    # 30 s of C major, then 30 s in A major (as TimelineCommandTests): 8B then 11B.
    synth.write_wav(music / "modulation.wav",
                    list(synth.cadence(0, False, 30)) + list(synth.cadence(9, False, 30)))
    synth.write_wav(music / "silence.wav", [0.0] * (5 * synth.RATE))
    (music / "notes.mp3").write_text("not audio")
    results = work / "results.jsonl"
    with results.open("w") as out:
        run = subprocess.run([keyscan, "analyze", "--no-cache", "--format", "jsonl", str(music)],
                             stdout=out, stderr=subprocess.PIPE, text=True, cwd=REPO)
    if run.returncode != 1:  # notes.mp3 fails
        sys.exit(f"keyscan analyze exited {run.returncode}, expected 1: {run.stderr}")
    page = work / "library.html"
    run = subprocess.run([keyscan, "report", str(results), "-o", str(page)], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"keyscan report exited {run.returncode}: {run.stderr}")
    lines = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    return {Path(r["path"]).name: r for r in lines}, page


def check_page(page_path, results, checks, screenshots):
    ok = {name: r for name, r in results.items() if r["status"] == "ok"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: m.type in ("error", "warning") and errors.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        page.wait_for_function("window.keyscanRenderedMs !== undefined")

        rows = page.locator("tr.track")
        checks.expect(rows.count() == len(ok), f"{rows.count()} rows, {len(ok)} tracks with a key")
        sectors = page.eval_on_selector_all("#wheel .sector", "s => s.map(g => [Number(g.dataset.key), Number(g.dataset.count), g.querySelector('text.n').textContent])")
        checks.expect(len(sectors) == 24, f"{len(sectors)} wheel sectors, expected 24")
        checks.expect(sum(c for _, c, _ in sectors) == len(ok), f"wheel counts sum to {sum(c for _, c, _ in sectors)}, {len(ok)} analyzed")
        for k, count, shown in sectors:
            expected = sum(1 for r in ok.values() if r["camelot"] == camelot(k))
            checks.expect(count == expected and shown == str(expected), f"sector {camelot(k)} shows {shown}, expected {expected}")

        # Click a key: exactly its tracks. Then its compatible keys too.
        key = index(ok["c-major.wav"]["camelot"])
        page.click(f"#wheel .sector[data-key='{key}']")
        shown_keys = page.eval_on_selector_all("tr.track", "r => r.map(t => Number(t.dataset.key))")
        expected = sorted(name for name, r in ok.items() if r["camelot"] == camelot(key))
        checks.expect(shown_keys and set(shown_keys) == {key} and len(shown_keys) == len(expected),
                      f"after clicking {camelot(key)}: keys {sorted(map(camelot, shown_keys))}, expected {len(expected)} × {camelot(key)}")
        chip_texts = page.eval_on_selector_all("tr.track .chip", "c => c.map(x => x.textContent)")
        checks.expect(set(chip_texts) == {camelot(key)}, f"chips {chip_texts}")
        page.check("#compatible")
        compatible = {k for k in range(24) if move(key, k) in ("same key", "+1", "-1", "relative")}
        shown_keys = page.eval_on_selector_all("tr.track", "r => r.map(t => Number(t.dataset.key))")
        expected_count = sum(1 for r in ok.values() if index(r["camelot"]) in compatible)
        checks.expect(set(shown_keys) <= compatible and len(shown_keys) == expected_count,
                      f"with compatible keys: {sorted(map(camelot, shown_keys))}, expected {expected_count} of {sorted(map(camelot, compatible))}")
        page.click("#clear-key")
        checks.expect(rows.count() == len(ok), "all rows back after 'Show all keys'")

        # Notation, text filter, sorting.
        page.select_option("#notation", "openkey")
        chip = page.locator("tr.track[data-key='19'] .chip").first
        checks.expect(chip.count() == 0 or chip.text_content() == "1d", "8B reads 1d in Open Key")
        page.select_option("#notation", "standard")
        checks.expect(page.locator("#wheel .sector[data-key='7'] text.k").text_content() == "Am", "8A reads Am in standard notation")
        page.select_option("#notation", "camelot")
        page.fill("#filter", "minor")
        names = page.eval_on_selector_all("tr.track td.name", "c => c.map(x => x.textContent)")
        checks.expect(sorted(names) == sorted(n for n in ok if "minor" in n), f"filter 'minor' shows {names}")
        page.fill("#filter", "")
        page.click("th[data-sort='duration']")
        page.click("th[data-sort='duration']")
        checks.expect(page.locator("tr.track td.name").first.text_content() == "modulation.wav", "longest first after sorting by length twice")

        # The detuned track is marked; the failed file is listed with its code.
        sharp = page.locator("tr.track", has=page.locator("td.name", has_text="sharp g-major.wav"))
        tuning = sharp.locator("td.num").nth(1)
        checks.expect("off" in (tuning.get_attribute("class") or "") and abs(int(tuning.text_content()) - 30) <= 3,
                      f"sharp track's tuning cell: {tuning.text_content()!r}, class {tuning.get_attribute('class')!r}")
        failed = page.locator("#problems ul.failed li").all_text_contents()
        checks.expect(len(failed) == 1 and "not_audio" in failed[0] and "notes.mp3" in failed[0], f"failed list {failed}")
        nokey = page.locator("#problems ul.nokey li").all_text_contents()
        checks.expect(len(nokey) == 1 and "silence.wav" in nokey[0], f"no-key list {nokey}")

        # The modulation's strip: its segments, in order, with their keys and times.
        modulation = results["modulation.wav"]
        page.click("tr.track:has(td.name:text-is('modulation.wav'))")
        spans = page.eval_on_selector_all("tr.details .strip.big span", "s => s.map(x => [Number(x.dataset.key), x.title, parseFloat(x.style.width)])")
        segments = [s["camelot"] for s in modulation["segments"]]
        checks.expect([camelot(k) for k, _, _ in spans] == segments == ["8B", "11B"], f"modulation strip {spans}, segments {segments}")
        checks.expect(all(t.startswith("0:00–0:") and "8B" in t for _, t, _ in spans[:1]), f"first segment's hover text {spans[:1]}")
        checks.expect(abs(sum(w for _, _, w in spans) - 100) < 0.5, "the strip covers the track")
        page.click("tr.details .strip.big span >> nth=1")
        checks.expect("11B" in page.locator("tr.details .seg-info").text_content(), "tapping a segment shows its key")

        # Its "mixes into": from its last key, every one a DJ move, none a clash.
        mixes = page.eval_on_selector_all("tr.details ol.mixes li", "l => l.map(x => [Number(x.dataset.fromKey), Number(x.dataset.toKey), x.dataset.move, Number(x.dataset.toIndex)])")
        checks.expect(len(mixes) > 0, "the modulation mixes into something")
        for from_key, to_key, label, _ in mixes:
            checks.expect(camelot(from_key) == "11B", f"mixes are from the last key, 11B, not {camelot(from_key)}")
            checks.expect(move(from_key, to_key) == label and label is not None, f"{camelot(from_key)} → {camelot(to_key)} labelled {label}")
        page.click("tr.track:has(td.name:text-is('modulation.wav'))")  # close it

        # A one-key track: mixes from its key; the sharp track sounds in its own key.
        page.click("tr.track:has(td.name:text-is('g-major.wav'))")
        mixes = page.eval_on_selector_all("tr.details ol.mixes li", "l => l.map(x => [Number(x.dataset.fromKey), Number(x.dataset.toKey), x.dataset.move, x.textContent])")
        checks.expect(any("sharp g-major.wav" in text and label == "same key" and "tuning" in text for _, _, label, text in mixes),
                      f"g-major mixes into the sharp copy as 'same key' with a tuning warning: {mixes}")
        for from_key, to_key, label, _ in mixes:
            checks.expect(move(from_key, to_key) == label and label is not None, f"{camelot(from_key)} → {camelot(to_key)} labelled {label}")

        checks.expect(not errors, f"console errors: {errors}")
        outside = [u for u in requests if u != page_path.as_uri()]
        checks.expect(not outside, f"requests beyond the page itself: {outside}")

        if screenshots:
            screenshots.mkdir(parents=True, exist_ok=True)
            # g-major.wav is still open (its mixes show the tuning warning); open the modulation too.
            page.click("tr.track:has(td.name:text-is('modulation.wav'))")
            page.click("th[data-sort='name']")
            page.screenshot(path=str(screenshots / "report-desktop.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
            phone.goto(page_path.as_uri())
            phone.wait_for_function("window.keyscanRenderedMs !== undefined")
            phone.tap("tr.track:has(td.name:text-is('modulation.wav'))")
            phone.screenshot(path=str(screenshots / "report-phone.png"), full_page=True)
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keyscan")
    parser.add_argument("--screenshots", type=Path, help="save the desktop and phone screenshots here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="keyscan-report-"))
    try:
        results, page = make_library(work, str(Path(args.keyscan).resolve()))
        made = time.monotonic()
        checks = Checks()
        check_page(page, results, checks, args.screenshots)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - start
    print(f"test_report_browser: {checks.passed} checks passed, {len(checks.failures)} failed; "
          f"{took:.1f} s ({made - start:.1f} s audio, analyze and report; {took - (made - start):.1f} s in Chromium)")
    sys.exit(1 if checks.failures else 0)


if __name__ == "__main__":
    main()
