"""Turn rendered sets into KeyNet inputs with `keyscan features`, and index them for training.

For each set folder (one that render_training.py or render_mma.py wrote, with labels.tsv) it
runs `keyscan features --jobs N --out SET/features FILES...` on the files whose .npy
is missing or older than the audio (so reruns resume), then writes

  SET/features/features.tsv   npy (file name, relative to that folder), index (the key's KeyNet
                              class 0-23 in Camelot order: i < 12 is (i+1)A, else (i-11)B),
                              song (POP909 number or MMA excerpt id), set (train | validation |
                              heldout), then frames, camelot, collection (the set folder's name)
                              and audio (the rendered file's name); regions, when the set has
                              a regions.tsv (render_modulations.py): where each key holds,
                              "start-end:index" in seconds, ';'-separated (else empty)
  DATA/features.tsv           the same rows for every set given, npy relative to DATA (the
                              folder holding the sets), so one file lists everything

Each .npy is float32 (105, frames): log(1+|CQT|), 5 frames/s, exactly what keyscan analyze gives
the model (the features command shares its code path); no model is needed to make them.

    extract_features.py [--jobs 2] [--keyscan .build/release/keyscan] SET_DIR...
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import labels  # noqa: E402

COLUMNS = ["npy", "index", "song", "set", "frames", "camelot", "collection", "audio", "regions"]
BATCH = 200  # files per keyscan run: keeps command lines short and progress visible


def npy_frames(path: Path) -> int:
    """Frames (second dimension) from a .npy header, without reading the data."""
    import numpy as np

    with open(path, "rb") as f:
        major, _ = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(f)
    if len(shape) != 2 or shape[0] != 105:
        raise ValueError(f"{path}: shape {shape}, expected (105, frames)")
    return int(shape[1])


def _stale(audio: Path, npy: Path) -> bool:
    """No .npy yet, or one older than its audio (the file was re-rendered)."""
    return not npy.exists() or npy.stat().st_mtime < audio.stat().st_mtime


def extract(set_dir: Path, keyscan: Path, jobs: int) -> list[dict]:
    rows = labels.read_labels(set_dir / "labels.tsv")
    features = set_dir / "features"
    features.mkdir(exist_ok=True)
    todo = [set_dir / r["file"] for r in rows if _stale(set_dir / r["file"], features / (Path(r["file"]).stem + ".npy"))]
    print(f"{set_dir}: {len(rows)} files, {len(todo)} without up-to-date features", file=sys.stderr)
    failed = 0
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        done = subprocess.run([str(keyscan), "features", "--jobs", str(jobs), "--out", str(features), *map(str, batch)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in done.stdout.splitlines():
            result = json.loads(line)
            if result.get("status") != "ok":
                failed += 1
                print(f"FAILED {result.get('path')}: {result.get('error')}", file=sys.stderr)
        if done.returncode not in (0, 1):  # 1: some files failed, each reported on stdout
            raise RuntimeError(f"keyscan features failed ({done.returncode}): {done.stderr[-800:]}")
        print(f"  {min(start + BATCH, len(todo))}/{len(todo)}", file=sys.stderr)
    if failed:
        raise RuntimeError(f"{set_dir}: {failed} files failed")
    regions: dict[str, list[str]] = {}
    if (set_dir / "regions.tsv").is_file():
        with open(set_dir / "regions.tsv", newline="") as f:
            for region in csv.DictReader(f, delimiter="\t"):
                regions.setdefault(region["file"], []).append(f"{region['start']}-{region['end']}:{region['index']}")
    out = []
    for r in rows:
        npy = Path(r["file"]).stem + ".npy"
        out.append({"npy": npy, "index": r["index"], "song": r["song"], "set": r["split"],
                    "frames": npy_frames(features / npy), "camelot": r["camelot"], "collection": set_dir.name,
                    "audio": r["file"], "regions": ";".join(regions.get(r["file"], []))})
    labels.write_tsv(features / "features.tsv", out, COLUMNS)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", type=Path, nargs="+", metavar="SET_DIR", help="set folders holding labels.tsv")
    parser.add_argument("--jobs", type=int, default=2, help="files keyscan processes at once (default 2)")
    parser.add_argument("--keyscan", type=Path, default=REPO / ".build" / "release" / "keyscan",
                        help="keyscan binary (default .build/release/keyscan)")
    parser.add_argument("--index", type=Path, help="combined index (default: features.tsv in the sets' parent)")
    args = parser.parse_args()
    if not args.keyscan.is_file():
        parser.error(f"{args.keyscan} not found: build it with `swift build -c release`")
    combined = []
    for set_dir in args.sets:
        if not (set_dir / "labels.tsv").is_file():
            parser.error(f"{set_dir}/labels.tsv not found (render the set first)")
        rows = extract(set_dir, args.keyscan, args.jobs)
        combined += [dict(r, npy=f"{set_dir.name}/features/{r['npy']}") for r in rows]
    parents = {s.resolve().parent for s in args.sets}
    index = args.index or (parents.pop() / "features.tsv" if len(parents) == 1 else None)
    if index:
        existing = []
        if index.exists():  # keep rows of sets not given this time
            names = {s.name for s in args.sets}
            with open(index, newline="") as f:
                existing = [r for r in csv.DictReader(f, delimiter="\t") if r["collection"] not in names]
        labels.write_tsv(index, existing + combined, COLUMNS)
        print(f"wrote {index} ({len(existing) + len(combined)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
