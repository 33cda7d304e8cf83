#!/usr/bin/env python3
"""What limits the key timeline: its boundaries, or the keys its columns give?

    timeline_oracle.py FOLDER --keyscan BIN NAME=MODEL... [--features DIR] [--json OUT]

FOLDER is what render_timeline.py writes (whole songs and regions.tsv). keyscan computes each
song's features (`keyscan features`, the fast front end, cached in --features), and each
MODEL (.safetensors, or the reference's .pt), in PyTorch, gives the column logits the timeline
decodes (one column per 8 frames, 1.6 s). For the songs with a key change and for those
without, this reports:

  column exact     the share of annotated columns whose own argmax is the annotated key
  oracle exact     each annotated region keyed as the timeline keys a segment (argmax of its
                   columns' mean logits): the time exact a timeline with perfect boundaries
                   would score (timeline.py's "time exact" is the real timeline's)
  minor / major    the oracle's share of wrong time in regions annotated minor and major
  confusions       the most frequent column errors: interval from the annotated tonic to the
                   guessed one in semitones, and the two modes (e.g. "+3 min→maj" is the
                   relative major of a minor key)

If "oracle exact" is about the timeline's own time exact, better boundaries cannot help; the
columns' keys must get better.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))
sys.path.insert(0, str(TOOLS / "training"))
import camelot  # noqa: E402
from timeline import key_at, load_regions  # noqa: E402

COLUMN_SECONDS = 1.6  # 8 frames at 5 frames per second


def extract(binary: Path, folder: Path, files: list[str], out: Path) -> None:
    """Features of the songs not in `out` yet, by keyscan itself."""
    missing = [folder / f for f in files if not (out / (Path(f).stem + ".npy")).exists()]
    if missing:
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(binary), "features", "--out", str(out), *map(str, missing)],
                       check=True, stdout=subprocess.DEVNULL)


def column_logits(model_path: str, features: Path, files: list[str]) -> dict[str, np.ndarray]:
    """(columns, 24) logits of each song, as the timeline decodes them."""
    import torch
    from train_keynet import load_teacher

    model = load_teacher(model_path)
    model.eval()
    out = {}
    with torch.no_grad():
        for f in files:
            x = torch.from_numpy(np.load(features / (Path(f).stem + ".npy")))[None, None]
            out[f] = model.features(x)["conv9"].mean(2)[0].T.numpy().astype(np.float64)
    return out


def interval(truth: camelot.Key, guess: camelot.Key) -> str:
    mode = lambda k: "min" if k.minor else "maj"  # noqa: E731
    return f"+{(guess.tonic - truth.tonic) % 12} {mode(truth)}→{mode(guess)}"


def score(regions: dict, logits: dict[str, np.ndarray]) -> dict:
    out = {}
    for group in ("multi", "single"):
        columns = right = 0
        oracle_time = oracle_right = 0.0
        wrong_by_mode, time_by_mode = Counter(), Counter()
        confusions = Counter()
        for f, reference in regions.items():
            if (len({k for _, _, k in reference}) > 1) != (group == "multi"):
                continue
            z = logits[f]
            for j in range(len(z)):
                truth = key_at(reference, (j + 0.5) * COLUMN_SECONDS)
                if truth is None:
                    continue
                guess = camelot.from_index(int(z[j].argmax()))
                columns += 1
                right += guess == truth
                if guess != truth:
                    confusions[interval(truth, guess)] += 1
            for start, end, key in reference:
                first, last = int(start / COLUMN_SECONDS), min(len(z), int(end / COLUMN_SECONDS))
                if last <= first:
                    continue
                guess = camelot.from_index(int(z[first:last].mean(0).argmax()))
                mode = "minor" if key.minor else "major"
                time_by_mode[mode] += end - start
                oracle_time += end - start
                if guess == key:
                    oracle_right += end - start
                else:
                    wrong_by_mode[mode] += end - start
        if not columns:
            continue
        out[group] = {
            "column_exact": right / columns, "oracle_exact": oracle_right / oracle_time,
            "minor_wrong": wrong_by_mode["minor"] / time_by_mode["minor"] if time_by_mode["minor"] else None,
            "major_wrong": wrong_by_mode["major"] / time_by_mode["major"] if time_by_mode["major"] else None,
            "minor_share": time_by_mode["minor"] / oracle_time,
            "confusions": confusions.most_common(4), "columns": columns,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("models", nargs="+", metavar="NAME=MODEL")
    parser.add_argument("--keyscan", type=Path, required=True, help="keyscan binary (for the features)")
    parser.add_argument("--features", type=Path, help="feature cache (default FOLDER/features-timeline)")
    parser.add_argument("--json", type=Path, help="save every number")
    args = parser.parse_args()

    regions = load_regions(args.folder)
    files = sorted(regions)
    features = args.features or args.folder / "features-timeline"
    extract(args.keyscan, args.folder, files, features)
    print("| model | songs | column exact | oracle exact | minor time wrong | major time wrong "
          "| minor share | top column confusions |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    report = {}
    for spec in args.models:
        name, _, path = spec.partition("=")
        scores = score(regions, column_logits(path, features, files))
        report[name] = scores
        for group, s in scores.items():
            pct = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
            top = ", ".join(f"{c} ({n})" for c, n in s["confusions"])
            print(f"| {name} | {group} | {s['column_exact']:.3f} | {s['oracle_exact']:.3f} | {pct(s['minor_wrong'])} "
                  f"| {pct(s['major_wrong'])} | {s['minor_share']:.2f} | {top} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
