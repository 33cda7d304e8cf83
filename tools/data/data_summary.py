"""Summarize rendered training and held-out sets: files per key and mode, hours, disk use.

Reads each SET_DIR/labels.tsv (render_training.py, render_mma.py) and prints, per set, the
number of files per split (train / validation / heldout), per mode, and per key in Camelot
order, the hours of audio, how many files have features, and the disk used by the audio and
the features.

    data_summary.py SET_DIR...
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402
import labels  # noqa: E402


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def summarize(set_dir: Path) -> None:
    rows = labels.read_labels(set_dir / "labels.tsv")
    hours = sum(float(r["seconds"]) for r in rows) / 3600
    splits = Counter(r["split"] for r in rows)
    keys = Counter(int(r["index"]) for r in rows)
    songs = len({r["song"] for r in rows})
    features = set_dir / "features"
    npys = sum(1 for r in rows if (features / (Path(r["file"]).stem + ".npy")).exists())
    audio_bytes = disk_bytes(set_dir) - disk_bytes(features)
    print(f"{set_dir.name}: {len(rows)} files from {songs} songs, {hours:.1f} h of audio, "
          + ", ".join(f"{n} {s}" for s, n in sorted(splits.items())))
    print(f"  disk: audio {audio_bytes / 1e9:.2f} GB, features {disk_bytes(features) / 1e9:.2f} GB "
          f"({npys}/{len(rows)} files have features)")
    for minor, letter in ((True, "A"), (False, "B")):
        counts = [keys[i + (0 if minor else 12)] for i in range(12)]
        cells = "  ".join(f"{i + 1}{letter}:{c}" for i, c in enumerate(counts))
        print(f"  {'minor' if minor else 'major'} {sum(counts):5d}  {cells}")
    for minor in (True, False):
        names = "  ".join(f"{camelot.from_index(i + (0 if minor else 12)).name.split()[0]}" for i in range(12))
        print(f"  ({'A' if minor else 'B'} = {names})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", type=Path, nargs="+", metavar="SET_DIR")
    args = parser.parse_args()
    for set_dir in args.sets:
        if (set_dir / "labels.tsv").is_file():
            summarize(set_dir)
        else:
            print(f"{set_dir.name}: no labels.tsv (not rendered)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
