"""Compare keyscan's keys with the reference KeyNet's, and both with ground-truth labels.

    compare_keys.py KEYSCAN_JSON REFERENCE_JSONL [--labels labels.tsv] [--names keyscan reference]

KEYSCAN_JSON is keyscan's output: a JSON array of objects with "path", "status" and "camelot"
(or one such object per line). REFERENCE_JSONL is keynet_reference.py's output, one object per
line. Either may be "-" for standard input. Results are matched by real path (a path relative
in the file is taken relative to the current folder); files whose real paths differ are still
matched when their base name is unique on both sides. A result counts when it has a Camelot
code and its status, if any, is not an error.

Prints the number of files compared, the agreement (same Camelot key) as a count and a
percentage, every disagreement with both keys, and with --labels (a TSV with a header and
columns file, key, camelot; files relative to the TSV's folder, as render_pop909.py writes it)
each system's exact accuracy and MIREX weighted score on the compared files (correct 1, fifth
0.5, relative 0.3, parallel 0.2; see camelot.mirex_score).

Exit status: 0 whatever the agreement; 2 on bad input (unreadable file, bad JSON, bad key).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import Counter
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402

ERROR_STATUSES = {"error", "failed", "failure", "skipped", "unsupported"}


class BadInput(Exception):
    pass


def read_text(name: str) -> str:
    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text()
    except OSError as error:
        raise BadInput(f"{name}: {error.strerror}") from error


def parse_results(name: str) -> list[dict]:
    """Objects from a JSON array, an object holding one ("results"/"files"), or JSON lines."""
    text = read_text(name)
    stripped = text.lstrip()
    if not stripped:
        return []
    try:
        if stripped.startswith("["):
            items = json.loads(text)
        elif stripped.startswith("{") and "\n{" not in stripped.strip():
            whole = json.loads(text)
            items = whole.get("results", whole.get("files", [whole])) if isinstance(whole, dict) else whole
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise BadInput(f"{name}: not JSON or JSON lines ({error})") from error
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadInput(f"{name}: expected JSON objects")
    for item in items:
        if "path" not in item:
            raise BadInput(f"{name}: an object has no \"path\": {json.dumps(item)[:200]}")
    return items


def keys_by_path(name: str) -> tuple[dict[str, camelot.Key], list[str]]:
    """Real path → key of each usable result, and the real paths of failed results."""
    keys, failed = {}, []
    for item in parse_results(name):
        path = os.path.realpath(item["path"])
        status = str(item.get("status", "ok")).lower()
        code = item.get("camelot")
        if status in ERROR_STATUSES or not code:
            failed.append(path)
            continue
        try:
            keys[path] = camelot.from_camelot(str(code))
        except ValueError as error:
            raise BadInput(f"{name}: {item['path']}: {error}") from error
    return keys, failed


def read_labels(name: str) -> dict[str, camelot.Key]:
    """Real path → labelled key from a labels.tsv (file, key, camelot; the camelot column wins)."""
    folder = Path(name).resolve().parent
    labels = {}
    rows = list(csv.reader(read_text(name).splitlines(), delimiter="\t"))
    if rows and rows[0] and rows[0][0].lower() == "file":
        rows = rows[1:]
    for number, row in enumerate(rows, start=2):
        if not row or not row[0].strip():
            continue
        if len(row) < 2:
            raise BadInput(f"{name}:{number}: expected file, key, camelot")
        try:
            key = camelot.from_camelot(row[2]) if len(row) > 2 and row[2].strip() else camelot.parse_key(row[1])
        except ValueError as error:
            raise BadInput(f"{name}:{number}: {error}") from error
        labels[os.path.realpath(folder / row[0])] = key
    return labels


def align(left: dict, right: dict) -> dict[str, str]:
    """Pairs of keys (left path → right path): same real path, else a base name unique on both sides."""
    pairs = {p: p for p in left if p in right}
    left_rest = [p for p in left if p not in pairs]
    right_rest = Counter(os.path.basename(p) for p in right if p not in pairs.values())
    by_name = {os.path.basename(p): p for p in right if p not in pairs.values()}
    left_names = Counter(os.path.basename(p) for p in left_rest)
    for p in left_rest:
        name = os.path.basename(p)
        if left_names[name] == 1 and right_rest[name] == 1:
            pairs[p] = by_name[name]
    return pairs


def score_line(name: str, estimates: list[camelot.Key], truths: list[camelot.Key]) -> str:
    n = len(truths)
    scores = [camelot.mirex_score(e, t) for e, t in zip(estimates, truths)]
    kinds = Counter({1.0: "correct", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}[s] for s in scores)
    exact = kinds["correct"]
    return (f"  {name:<10} exact {exact}/{n} ({100 * exact / n:.1f}%)  MIREX {100 * sum(scores) / n:.1f}%  "
            f"[correct {kinds['correct']}, fifth {kinds['fifth']}, relative {kinds['relative']}, "
            f"parallel {kinds['parallel']}, other {kinds['other']}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("keyscan", metavar="KEYSCAN_JSON", help="keyscan output (JSON array or JSON lines)")
    parser.add_argument("reference", metavar="REFERENCE_JSONL", help="keynet_reference.py output")
    parser.add_argument("--labels", help="labels.tsv with file, key, camelot")
    parser.add_argument("--names", nargs=2, default=["keyscan", "reference"], metavar=("A", "B"),
                        help="what to call the two systems in the report")
    args = parser.parse_args()
    a_name, b_name = args.names
    try:
        a_keys, a_failed = keys_by_path(args.keyscan)
        b_keys, b_failed = keys_by_path(args.reference)
        labels = read_labels(args.labels) if args.labels else None
    except BadInput as error:
        print(f"compare_keys: {error}", file=sys.stderr)
        return 2

    pairs = align(a_keys, b_keys)
    paths = sorted(pairs)
    if labels is not None:  # a pair matched by base name may be labelled under either path
        labels = {p: labels.get(p, labels.get(pairs[p])) for p in paths if labels.get(p, labels.get(pairs[p]))}
    common = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0]) if paths else ""

    def show(path: str) -> str:
        return os.path.relpath(path, common) if common else path

    print(f"{a_name}: {len(a_keys)} keys, {len(a_failed)} failed; {b_name}: {len(b_keys)} keys, "
          f"{len(b_failed)} failed; only in {a_name}: {len(a_keys) - len(pairs)}, "
          f"only in {b_name}: {len(b_keys) - len(pairs)}")
    for path in sorted(a_failed):
        print(f"  {a_name} failed: {path}")
    for path in sorted(b_failed):
        print(f"  {b_name} failed: {path}")
    print(f"files compared: {len(paths)}" + (f" (in {common})" if common else ""))
    if not paths:
        return 0
    differing = [p for p in paths if a_keys[p] != b_keys[pairs[p]]]
    agree = len(paths) - len(differing)
    print(f"agreement: {agree}/{len(paths)} ({100 * agree / len(paths):.1f}%) same Camelot key")
    if differing:
        print(f"disagreements ({len(differing)}):")
        width = max(len(show(p)) for p in differing)
        for p in differing:
            a, b = a_keys[p], b_keys[pairs[p]]
            line = f"  {show(p):<{width}}  {a_name} {a.camelot:>3} {a.name:<9}  {b_name} {b.camelot:>3} {b.name:<9}"
            if labels is not None and p in labels:
                line += f"  label {labels[p].camelot:>3} {labels[p].name}"
            print(line)
    if labels is not None:
        labelled = [p for p in paths if p in labels]
        print(f"against labels ({len(labelled)} of the compared files labelled):")
        if labelled:
            truths = [labels[p] for p in labelled]
            print(score_line(a_name, [a_keys[p] for p in labelled], truths))
            print(score_line(b_name, [b_keys[pairs[p]] for p in labelled], truths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
