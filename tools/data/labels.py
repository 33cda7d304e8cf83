"""labels.tsv and resumable rendering, shared by render_training.py and render_mma.py.

Every set folder holds its audio, `labels.tsv` (one row per file, the columns in COLUMNS) and a
hidden `.renders.jsonl` log with one line per finished file: its name, the id of the plan that
made it (a hash of everything that decides its content, including RECIPE_VERSION), and its row.
A rerun skips a file when it exists and the log holds the same plan id, so an interrupted run
resumes where it stopped and a changed recipe re-renders what it changes.

Columns: file, key (e.g. "A minor"), camelot ("8A"), index (KeyNet class, Camelot order 0-23),
song (POP909 "161" or MMA excerpt id), split (train | validation | heldout), start and end (the
excerpt's window in the source's own time, seconds, before any tempo change), seconds (length of
the file), transpose (semitones applied to the MIDI), tempo (POP909: the time scale, new time =
old time × tempo, so below 1 is faster; MMA: beats per minute), soundfont, programs (role=GM program, ','-separated), drums, groove (MMA groove, or -),
progression (MMA chords, or -), augment (audio_chain.Augmentation.describe()).

Run as a script it checks labels.tsv files: columns present, key name, Camelot code and index
in agreement, audio present.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402

RECIPE_VERSION = 1
COLUMNS = ["file", "key", "camelot", "index", "song", "split", "start", "end", "seconds", "transpose", "tempo",
           "soundfont", "programs", "drums", "groove", "progression", "augment"]
LOG_NAME = ".renders.jsonl"


def plan_id(plan: object) -> str:
    """A short hash of a plan's repr (dataclasses of numbers, strings and paths: stable)."""
    return hashlib.sha256(f"{RECIPE_VERSION}:{plan!r}".encode()).hexdigest()[:16]


def read_log(out: Path) -> dict[str, tuple[str, dict]]:
    """file → (plan id, row) for the renders logged in `out` (the last line wins)."""
    done: dict[str, tuple[str, dict]] = {}
    log = out / LOG_NAME
    if log.exists():
        for line in log.read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                done[entry["file"]] = (entry["plan"], entry["row"])
    return done


def render_all(out: Path, plans: Sequence, worker: Callable, jobs: int) -> tuple[list[dict], int]:
    """Render every plan not already done (plan.file names its output) with `jobs` processes.

    Returns (rows in plan order, number of failed renders). Rows are logged as they finish,
    so a crash loses at most the renders in flight. Failures are reported and skipped.
    """
    out.mkdir(parents=True, exist_ok=True)
    done = read_log(out)
    rows: dict[str, dict] = {}
    todo = []
    for plan in plans:
        entry = done.get(plan.file)
        if entry and entry[0] == plan_id(plan) and (out / plan.file).exists():
            rows[plan.file] = entry[1]
        else:
            todo.append(plan)
    print(f"{out}: {len(plans)} planned, {len(rows)} already rendered, {len(todo)} to render", file=sys.stderr)
    failures = 0
    started = time.monotonic()
    with open(out / LOG_NAME, "a") as log, ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(worker, plan): plan for plan in todo}
        for n, future in enumerate(as_completed(futures), 1):
            plan = futures[future]
            try:
                row = future.result()
            except Exception as error:  # one bad render must not stop an hour of others
                failures += 1
                print(f"FAILED {plan.file}: {error}", file=sys.stderr)
                continue
            rows[plan.file] = row
            log.write(json.dumps({"file": plan.file, "plan": plan_id(plan), "row": row}) + "\n")
            log.flush()
            elapsed = time.monotonic() - started
            print(f"[{n}/{len(todo)} {elapsed:.0f} s] {row['file']}\t{row['key']}\t{row['seconds']} s\t{row['augment']}",
                  file=sys.stderr)
    ordered = [rows[p.file] for p in plans if p.file in rows]
    write_labels(out / "labels.tsv", ordered)
    return ordered, failures


def write_labels(path: Path, rows: list[dict]) -> None:
    write_tsv(path, rows, COLUMNS)


def write_tsv(path: Path, rows: list[dict], columns: Sequence[str]) -> None:
    """A tab-separated file with a header, written aside and renamed (never half-written)."""
    partial = path.with_name(f".{path.name}.part")
    with open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(path)


def read_labels(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def check(path: Path) -> list[str]:
    """Problems in a labels.tsv: missing columns, keys whose name, Camelot code and index disagree."""
    rows = read_labels(path)
    problems = []
    if rows and set(COLUMNS) - set(rows[0]):
        problems.append(f"missing columns: {sorted(set(COLUMNS) - set(rows[0]))}")
    for r in rows:
        key = camelot.parse_key(r["key"])
        if key.camelot != r["camelot"] or str(key.index) != r["index"]:
            problems.append(f"{r['file']}: key {r['key']!r}, camelot {r['camelot']}, index {r['index']} disagree")
        if not (path.parent / r["file"]).exists():
            problems.append(f"{r['file']}: audio missing")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path, nargs="+", metavar="LABELS_TSV", help="labels.tsv files to check")
    args = parser.parse_args()
    bad = 0
    for path in args.labels:
        problems = check(path)
        bad += len(problems)
        print(f"{path}: {len(read_labels(path))} rows, {len(problems)} problems")
        for problem in problems[:20]:
            print(f"  {problem}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
