"""Render excerpts of POP909 training songs that span a key change, with where each key holds.

KeyNet's columns (one per 1.6 s, the moments the key timeline decodes) learn where a key
starts from these (train_keynet.py reads the `regions` column extract_features.py copies from
regions.tsv). Every key change between two annotated regions (key_audio.txt) of a training
song (161-700, not a validation song; tools/data/splits.py) gets --renders excerpts of
--seconds, each placing the change at a random point between 25 % and 75 % of the excerpt and
never reaching into a third region. Each excerpt is drawn exactly as render_training.py draws a
training excerpt (training soundfont and programs, bass split, drums, tempo 0.85-1.15, reverb,
audio_chain's augmentation, FLAC) with a tonic dealt so that the first keys are spread over
all twelve, and the second key moves with it.

Output: OUT/pop909-NNN-cI-rJ.flac (song NNN, change I, render J); labels.tsv (render_training's
columns; `key` is the excerpt's first key) and regions.tsv (file, start, end, key, camelot,
index; seconds of the excerpt, render_timeline.py's layout plus the class index).

    render_modulations.py --out data/train-modulations [--renders 3] [--seconds 60] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402
import labels  # noqa: E402
import render_training as rt  # noqa: E402
import splits  # noqa: E402

REGION_COLUMNS = ["file", "start", "end", "key", "camelot", "index"]
#: The change falls between these fractions of the excerpt.
CHANGE_SPAN = (0.25, 0.75)


def changes_of(song: int, dataset: Path) -> list[tuple[int, float, float, float, str, str]]:
    """(change number, first region's start, change time, second region's end, first key,
    second key) for every key change of a song (audio time)."""
    regions = splits.key_regions(song, dataset)
    return [(i, a[0], a[1], b[1], a[2], b[2]) for i, (a, b) in enumerate(zip(regions, regions[1:]))]


def plan_modulations(songs: list[int], args) -> tuple[list[rt.Plan], dict[str, tuple[float, camelot.Key]]]:
    """The plans, and for each file its change time (source time) and second key (untransposed)."""
    plans, changes = [], {}
    rng = random.Random(f"{args.seed}:tonics")
    dealt = Counter({t: 0 for t in range(12)})
    for song in songs:
        for i, first_start, change, second_end, first, second in changes_of(song, args.dataset):
            low, high = CHANGE_SPAN
            # render_training.choose_window draws the window's start in [unit.start, unit.end - L],
            # L = seconds / tempo (source time; tempo 0.85-1.15). A unit of change ± high·L_min,
            # L_min = seconds / 1.15, puts the change between low·L and high·L for every tempo.
            length = args.seconds / 1.15
            start = max(first_start, change - high * length)
            end = min(second_end, change + (1 - low) * length)
            if end - start < length * 0.8:  # regions too short to frame the change
                print(f"skip {song:03d} change {i}: {end - start:.0f} s around it", file=sys.stderr)
                continue
            key = camelot.parse_key(first)
            unit = rt.Unit(song, i, start, end, key)
            used: set[int] = set()
            for render in range(args.renders):
                free = [t for t in range(12) if t not in used]
                low_count = min(dealt[t] for t in free)
                tonic = rng.choice([t for t in free if dealt[t] == low_count])
                dealt[tonic] += 1
                used.add(tonic)
                file = f"pop909-{song:03d}-c{i}-r{render}.flac"
                plans.append(rt.Plan(file, splits.TRAIN, unit, render, rt.shift_to(key.tonic, tonic), args.seconds,
                                     args.seed, args.dataset, args.out))
                changes[file] = (change, camelot.parse_key(second))
    return plans, changes


def region_rows(row: dict, change: float, second: camelot.Key) -> list[dict]:
    """The excerpt's two regions in its own time: the change moves with the window and tempo."""
    seconds, scale, transpose = float(row["seconds"]), float(row["tempo"]), int(row["transpose"])
    at = min(max((change - float(row["start"])) * scale, 0.0), seconds)
    keys = [camelot.parse_key(row["key"]), second.transposed(transpose)]
    return [{"file": row["file"], "start": f"{a:.3f}", "end": f"{b:.3f}", "key": k.name, "camelot": k.camelot,
             "index": k.index} for (a, b), k in zip(((0.0, at), (at, seconds)), keys)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--renders", type=int, default=3, help="renders per key change (default 3)")
    parser.add_argument("--seconds", type=float, default=60.0, help="excerpt length (default 60)")
    parser.add_argument("--count", type=int, help="use only the first N songs that change key")
    parser.add_argument("--dataset", type=Path, default=splits.DATASET, help=f"POP909 folder (default {splits.DATASET})")
    parser.add_argument("--seed", type=int, default=4, help="seed of every random choice (default 4)")
    parser.add_argument("--jobs", type=int, default=1, help="renders at once (default 1)")
    args = parser.parse_args()
    if not 1 <= args.renders <= 12 or args.seconds < 20:
        parser.error("need 1 <= --renders <= 12 and --seconds >= 20")
    validation = splits.validation_songs()
    songs = [n for n in splits.TRAIN_SONGS if n not in validation and len(splits.key_regions(n, args.dataset)) > 1]
    if args.count is not None:
        songs = songs[:args.count]
    plans, changes = plan_modulations(songs, args)
    print(f"{len(songs)} songs, {len(plans)} excerpts", file=sys.stderr)
    rows, failures = labels.render_all(args.out, plans, rt.render, args.jobs)
    regions = [r for row in rows for r in region_rows(row, *changes[row["file"]])]
    labels.write_tsv(args.out / "regions.tsv", regions, REGION_COLUMNS)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
