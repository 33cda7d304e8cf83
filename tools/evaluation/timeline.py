"""Evaluate keyscan's key timeline against POP909's annotated key regions.

    timeline.py --keyscan BIN [--model WEIGHTS] [--resolution S ...] [--penalty P ...]
                [--choose] [--json OUT] FOLDER

FOLDER is what render_timeline.py writes: whole held-out songs and regions.tsv. For every
combination of --resolution (`--timeline-resolution`, seconds) and --penalty (the hidden
`--timeline-switch-penalty`, nats), keyscan analyzes the folder once (no cache, JSON lines)
and this reports, over the annotated span of each song (first region's start to last one's end):

  time exact     fraction of annotated time whose timeline key is the annotated key
  time MIREX     the same, each instant scored 1 / 0.5 fifth / 0.3 relative / 0.2 parallel
  boundaries     precision, recall and F of the timeline's key changes against the annotated
                 ones (a region start whose key differs from the region before), matched one
                 to one within ±3 s, over all songs (a boundary in a single-key song is a
                 false positive)
  single = 1     fraction of single-key songs whose timeline is one segment
  global / main  the track's `key` against the annotated main key (the key covering most
                 annotated time), and the same for the timeline's main key (the segment key
                 covering most time): the candidate global key, measured before adoption
  flat           for comparison, the time scores of the global key held over the whole song

Each line of the table is one setting; the multi-key songs are also scored on their own.

--choose (for validation songs only: tools/training/train_model.sh) picks, among the settings
that keep every single-key song in one segment, the one with the highest time exact on the
multi-key songs (ties: higher boundary F, then the lower penalty), prints it and saves it in
the JSON as "chosen"; with no setting keeping them all whole, the one keeping most.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402

TOLERANCE = 3.0  # seconds, boundary matching
STEP = 0.1  # seconds, time sampling


def load_regions(folder: Path) -> dict[str, list[tuple[float, float, camelot.Key]]]:
    regions: dict[str, list] = defaultdict(list)
    with (folder / "regions.tsv").open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            regions[row["file"]].append((float(row["start"]), float(row["end"]), camelot.from_camelot(row["camelot"])))
    return {k: sorted(v, key=lambda r: r[0]) for k, v in regions.items() if (folder / k).exists()}


def run_keyscan(binary: Path, model: Path | None, folder: Path, resolution: float, penalty: float,
                files: list[str]) -> dict[str, dict]:
    command = [str(binary), "analyze", "--no-cache", "--quiet", "--format", "jsonl", "--jobs", "1",
               "--timeline-resolution", str(resolution), "--timeline-switch-penalty", str(penalty)]
    if model:
        command += ["--model", str(model)]
    done = subprocess.run(command + [str(folder / f) for f in files], capture_output=True, text=True)
    results = {}
    for line in done.stdout.splitlines():
        r = json.loads(line)
        results[Path(r["path"]).name] = r
    return results


def key_at(segments: list[tuple[float, float, camelot.Key]], t: float) -> camelot.Key | None:
    for start, end, key in segments:
        if start <= t < end:
            return key
    return segments[-1][2] if segments and t >= segments[-1][1] else None


def change_points(regions) -> list[float]:
    return [regions[i][0] for i in range(1, len(regions)) if regions[i][2] != regions[i - 1][2]]


def match(reference: list[float], estimate: list[float]) -> int:
    """One-to-one matches within TOLERANCE, greedily by distance."""
    pairs = sorted((abs(r - e), i, j) for i, r in enumerate(reference) for j, e in enumerate(estimate)
                   if abs(r - e) <= TOLERANCE)
    used_r, used_e, hits = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_r and j not in used_e:
            used_r.add(i)
            used_e.add(j)
            hits += 1
    return hits


def main_key(segments) -> camelot.Key:
    cover: dict[camelot.Key, float] = defaultdict(float)
    for start, end, key in segments:
        cover[key] += end - start
    return max(cover, key=cover.get)


def score(regions, results) -> dict:
    totals = defaultdict(float)
    for group in ("all", "multi"):
        totals[group + "_files"] = 0
    for file, reference in regions.items():
        result = results.get(file)
        multi = len({k for _, _, k in reference}) > 1
        groups = ("all", "multi") if multi else ("all", "single")
        if not result or result.get("status") != "ok":
            for g in groups:
                totals[g + "_missing"] += 1
            continue
        segments = [(s["start_s"], s["end_s"], camelot.from_camelot(s["camelot"])) for s in result["segments"]]
        global_key = camelot.from_camelot(result["camelot"])
        start, end = reference[0][0], reference[-1][1]
        n = int((end - start) / STEP)
        exact = mirex = flat_exact = flat_mirex = 0.0
        for i in range(n):
            t = start + (i + 0.5) * STEP
            truth = key_at(reference, t)
            if truth is None:
                continue
            guess = key_at(segments, t)
            if guess is not None:
                exact += guess == truth
                mirex += camelot.mirex_score(guess, truth)
            flat_exact += global_key == truth
            flat_mirex += camelot.mirex_score(global_key, truth)
        ref_changes, est_changes = change_points(reference), [s[0] for s in segments[1:]]
        hits = match(ref_changes, est_changes)
        truth_main = main_key(reference)
        for g in groups:
            totals[g + "_files"] += 1
            totals[g + "_time"] += n * STEP
            totals[g + "_exact"] += exact * STEP
            totals[g + "_mirex"] += mirex * STEP
            totals[g + "_flat_exact"] += flat_exact * STEP
            totals[g + "_flat_mirex"] += flat_mirex * STEP
            totals[g + "_ref_changes"] += len(ref_changes)
            totals[g + "_est_changes"] += len(est_changes)
            totals[g + "_hits"] += hits
            totals[g + "_global_right"] += global_key == truth_main
            totals[g + "_main_right"] += main_key(segments) == truth_main
            totals[g + "_one_segment"] += len(segments) == 1
    out = {}
    for g in ("all", "multi", "single"):
        files = totals[g + "_files"]
        if not files:
            continue
        p = totals[g + "_hits"] / totals[g + "_est_changes"] if totals[g + "_est_changes"] else 1.0
        r = totals[g + "_hits"] / totals[g + "_ref_changes"] if totals[g + "_ref_changes"] else 1.0
        out[g] = {
            "files": int(files), "missing": int(totals[g + "_missing"]),
            "time_exact": totals[g + "_exact"] / totals[g + "_time"], "time_mirex": totals[g + "_mirex"] / totals[g + "_time"],
            "flat_exact": totals[g + "_flat_exact"] / totals[g + "_time"], "flat_mirex": totals[g + "_flat_mirex"] / totals[g + "_time"],
            "boundary_p": p, "boundary_r": r, "boundary_f": 2 * p * r / (p + r) if p + r else 0.0,
            "ref_changes": int(totals[g + "_ref_changes"]), "est_changes": int(totals[g + "_est_changes"]),
            "global_key": totals[g + "_global_right"] / files, "timeline_main_key": totals[g + "_main_right"] / files,
            "one_segment": totals[g + "_one_segment"] / files,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--keyscan", type=Path, required=True, help="keyscan binary")
    parser.add_argument("--model", type=Path, help="weights (default: keyscan's shipped model)")
    parser.add_argument("--resolution", type=float, nargs="+", default=[16.0], help="seconds (default 16)")
    parser.add_argument("--penalty", type=float, nargs="+", default=[64.0], help="nats (default 64)")
    parser.add_argument("--choose", action="store_true", help="pick a setting (see above)")
    parser.add_argument("--json", type=Path, help="save every number")
    args = parser.parse_args()

    regions = load_regions(args.folder)
    files = sorted(regions)
    multi = sum(len({k for _, _, k in r}) > 1 for r in regions.values())
    print(f"{len(files)} songs ({multi} with a key change) in {args.folder}, model {args.model or 'shipped'}\n")
    print("| resolution s | penalty | set | songs | time exact | time MIREX | flat exact | boundary P | R | F "
          "| changes est/ref | one segment | global key | timeline main key |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    saved = []
    for resolution in args.resolution:
        for penalty in args.penalty:
            results = run_keyscan(args.keyscan, args.model, args.folder, resolution, penalty, files)
            scores = score(regions, results)
            saved.append({"resolution": resolution, "penalty": penalty, "scores": scores})
            for g, s in scores.items():
                print(f"| {resolution:g} | {penalty:g} | {g} | {s['files']} | {s['time_exact']:.3f} | {s['time_mirex']:.3f} "
                      f"| {s['flat_exact']:.3f} | {s['boundary_p']:.2f} | {s['boundary_r']:.2f} | {s['boundary_f']:.2f} "
                      f"| {s['est_changes']}/{s['ref_changes']} | {s['one_segment']:.2f} | {s['global_key']:.3f} "
                      f"| {s['timeline_main_key']:.3f} |", flush=True)
    report: dict = {"settings": saved}
    if args.choose:
        report["chosen"] = choose(saved)
        print(f"\nchosen: resolution {report['chosen']['resolution']:g} s, penalty {report['chosen']['penalty']:g} nats")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


def choose(settings: list[dict]) -> dict:
    """The setting that keeps the most single-key songs whole, then has the best multi-key time
    exact, then boundary F, then the lowest penalty (--choose)."""
    def rank(setting):
        scores = setting["scores"]
        single = scores.get("single", {}).get("one_segment", 1.0)
        multi = scores.get("multi", {})
        return (single, multi.get("time_exact", 0.0), multi.get("boundary_f", 0.0), -setting["penalty"])
    best = max(settings, key=rank)
    return {"resolution": best["resolution"], "penalty": best["penalty"]}


if __name__ == "__main__":
    sys.exit(main())
