"""Evaluate keyscan's tuning estimate, and whether compensating for it helps the key.

    tuning.py --keyscan BIN [--model WEIGHTS] [--json OUT] FOLDER

FOLDER is what render_tuning.py writes (tuning.tsv beside the audio). keyscan analyzes every
file once (no cache, JSON lines). Reports:

  renders    error = tuning_cents − the applied offset, wrapped to ±50 (−50 and +50 cents are
             the same tuning): median and 90th percentile of |error|, overall and per
             instrument; the soundfont's own sample tuning is part of the error
  real       recordings of unknown tuning, resampled by known ratios: error = the estimate's
             change from the unshifted copy − the applied offset, wrapped
  key        on the renders, key accuracy (exact and MIREX) as analyzed, and after
             compensation: each file resampled by −tuning_cents (ffmpeg asetrate, which is
             what shifting the transform's kernels by the estimate amounts to, plus a tempo
             change of at most 3 %) and analyzed again; and the same split by |offset|
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402


def wrap(cents: float) -> float:
    return (cents + 50) % 100 - 50


def analyze(binary: Path, model: Path | None, paths: list[Path]) -> dict[str, dict]:
    command = [str(binary), "analyze", "--no-cache", "--quiet", "--format", "jsonl", "--jobs", "1"]
    if model:
        command += ["--model", str(model)]
    out = subprocess.run(command + [str(p) for p in paths], capture_output=True, text=True).stdout
    return {Path(r["path"]).name: r for r in map(json.loads, out.splitlines())}


def summary(errors: list[float]) -> str:
    if not errors:
        return "—"
    absolute = sorted(abs(e) for e in errors)
    p90 = absolute[min(len(absolute) - 1, int(0.9 * len(absolute)))]
    return f"{len(errors)} files: median |error| {statistics.median(absolute):.2f} c, 90th pct {p90:.2f} c, max {absolute[-1]:.2f} c, mean error {statistics.mean(errors):+.2f} c"


def key_scores(rows, results) -> tuple[float, float, int]:
    exact = mirex = n = 0
    for row in rows:
        r = results.get(row["file"])
        if not r or r.get("status") != "ok":
            continue
        truth, guess = camelot.from_camelot(row["key"]), camelot.from_camelot(r["camelot"])
        exact += guess == truth
        mirex += camelot.mirex_score(guess, truth)
        n += 1
    return (exact / n if n else 0.0), (mirex / n if n else 0.0), n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--keyscan", type=Path, required=True)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--no-compensation", action="store_true", help="skip the compensated re-analysis")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with (args.folder / "tuning.tsv").open() as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if (args.folder / r["file"]).exists()]
    results = analyze(args.keyscan, args.model, [args.folder / r["file"] for r in rows])
    saved: dict = {"files": {}}
    renders = [r for r in rows if r["kind"] == "render"]
    errors, by_instrument = [], defaultdict(list)
    for row in renders:
        r = results.get(row["file"], {})
        if "tuning_cents" not in r:
            print(f"{row['file']}: no tuning ({r.get('status')})")
            continue
        e = wrap(r["tuning_cents"] - float(row["cents"]))
        errors.append(e)
        by_instrument[row["instrument"]].append(e)
        saved["files"][row["file"]] = {"applied": float(row["cents"]), "estimate": r["tuning_cents"], "key": r["camelot"]}
    print(f"renders, {args.model or 'shipped model'}: {summary(errors)}")
    for instrument, es in sorted(by_instrument.items()):
        print(f"  {instrument:10s} {summary(es)}")

    real = [r for r in rows if r["kind"] == "real"]
    base = {r["source"]: results.get(r["file"], {}).get("tuning_cents") for r in real if float(r["cents"]) == 0}
    real_errors = []
    for row in real:
        estimate, origin = results.get(row["file"], {}).get("tuning_cents"), base.get(row["source"])
        if float(row["cents"]) == 0 or estimate is None or origin is None:
            continue
        real_errors.append(wrap(estimate - origin - float(row["cents"])))
        saved["files"][row["file"]] = {"applied": float(row["cents"]), "estimate": estimate, "unshifted": origin}
    print(f"real recordings, change against the unshifted copy: {summary(real_errors)}")
    print(f"  the unshifted copies' own tuning: {sorted(round(v, 1) for v in base.values() if v is not None)}")

    exact, mirex, n = key_scores(renders, results)
    print(f"\nkey on the {n} detuned renders as analyzed: exact {exact:.3f}, MIREX {mirex:.3f}")
    saved["summary"] = {"render_errors": errors, "real_errors": real_errors, "key_exact": exact, "key_mirex": mirex}
    if not args.no_compensation:
        with tempfile.TemporaryDirectory(prefix="tuning-compensated-") as tmp:
            shifted = []
            for row in renders:
                r = results.get(row["file"], {})
                if "tuning_cents" not in r:
                    continue
                ratio = 2 ** (-r["tuning_cents"] / 1200)
                out = Path(tmp, row["file"]).with_suffix(".flac")
                subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(args.folder / row["file"]),
                                "-ac", "1", "-af", f"aresample=44100,asetrate={44100 * ratio:.6f},aresample=44100:resampler=soxr",
                                "-c:a", "flac", str(out)], check=True)
                shifted.append(out)
            compensated = {Path(k).with_suffix(".mp3").name: v for k, v in analyze(args.keyscan, args.model, shifted).items()}
        c_exact, c_mirex, c_n = key_scores(renders, compensated)
        print(f"key on the same renders compensated by −tuning_cents: exact {c_exact:.3f}, MIREX {c_mirex:.3f} ({c_n} files)")
        saved["summary"].update({"compensated_exact": c_exact, "compensated_mirex": c_mirex})
        for label, keep in (("|offset| <= 20", lambda c: abs(c) <= 20), ("|offset| >= 30", lambda c: abs(c) >= 30)):
            subset = [r for r in renders if keep(float(r["cents"]))]
            a, _, m = key_scores(subset, results)
            b, _, _ = key_scores(subset, compensated)
            print(f"  {label}: {m} files, exact {a:.3f} as analyzed, {b:.3f} compensated")
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
