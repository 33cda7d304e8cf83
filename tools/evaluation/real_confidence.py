#!/usr/bin/env python3
"""How far keyscan's `confidence` can be trusted on real recordings, which have no labels.

    real_confidence.py --results KEYSCAN.jsonl --evaluate EVAL.json [--set NAME] [--json OUT]

KEYSCAN.jsonl is `keyscan analyze --format jsonl` on a folder of real recordings (what users
get: the shipped model, its calibrated confidence); EVAL.json is `tools/evaluation/evaluate
--essentia --unlabeled FOLDER --json` on the same folder, which holds the reference's and
essentia's key for every file. No file has a true label, so every number here is about
agreement with stand-ins:

  - per confidence band: files, mean confidence, how often keyscan agrees with the reference,
    and with the reference where the reference and essentia agree;
  - AUROC: how well the confidence separates the files where keyscan agrees with the reference
    from those where it does not (0.5 = not at all, 1 = perfectly);
  - ECE with the reference as label, on all files and on the files where the reference and
    essentia agree (the "stand-in subset": agreement selects the easy tracks, so a calibrated
    model looks over-confident there; compare with calibrate.py's easy-subset row on renders);
  - mean confidence where all three detectors agree and where they do not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "training"))
sys.path.insert(0, str(TOOLS / "common"))
from calibrate import BANDS, auroc, expected_calibration_error  # noqa: E402


def load(results: Path, evaluate: Path, name: str | None) -> list[dict]:
    """One row per file in both: keyscan's key and confidence, the reference's and essentia's key."""
    report = json.loads(evaluate.read_text())
    sets = [s for s in report["unlabeled"] if name in (None, s["name"])]
    if len(sets) != 1:
        raise SystemExit(f"real_confidence: {evaluate} has unlabelled sets {[s['name'] for s in report['unlabeled']]}; "
                         "pick one with --set")
    folder = sets[0]["path"]
    stand_ins = {os.path.realpath(os.path.join(folder, path)): keys for path, keys in sets[0]["per_file"].items()}
    rows = []
    for line in results.read_text().splitlines():
        result = json.loads(line)
        keys = stand_ins.get(os.path.realpath(result["path"]))
        if keys is None or result.get("status") != "ok" or not keys.get("reference"):
            continue
        rows.append({"camelot": result["camelot"], "confidence": result["confidence"],
                     "reference": keys["reference"], "essentia": keys.get("essentia")})
    return rows


def summarize(rows: list[dict]) -> dict:
    confidence = np.array([r["confidence"] for r in rows])
    agrees = np.array([r["camelot"] == r["reference"] for r in rows])
    consensus = np.array([r["reference"] == r["essentia"] for r in rows])
    bands = []
    for lo, hi in BANDS:
        members = (confidence >= lo) & (confidence < hi)
        both = members & consensus
        bands.append({"band": f"{lo:.1f}–{min(hi, 1.0):.1f}", "files": int(members.sum()),
                      "mean_confidence": float(confidence[members].mean()) if members.any() else None,
                      "agrees_with_reference": float(agrees[members].mean()) if members.any() else None,
                      "consensus_files": int(both.sum()),
                      "agrees_where_consensus": float(agrees[both].mean()) if both.any() else None})
    all_three = agrees & consensus
    return {
        "files": len(rows), "agreement": float(agrees.mean()), "mean_confidence": float(confidence.mean()),
        "auroc": auroc(confidence, agrees),
        "ece": expected_calibration_error(confidence, agrees),
        "consensus_files": int(consensus.sum()),
        "agreement_where_consensus": float(agrees[consensus].mean()),
        "ece_where_consensus": expected_calibration_error(confidence[consensus], agrees[consensus]),
        "mean_confidence_all_three_agree": float(confidence[all_three].mean()) if all_three.any() else None,
        "mean_confidence_otherwise": float(confidence[~all_three].mean()) if (~all_three).any() else None,
        "all_three_agree": int(all_three.sum()),
        "bands": bands,
    }


def fmt(value, spec=".3f") -> str:
    return "–" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="keyscan analyze --format jsonl output")
    parser.add_argument("--evaluate", type=Path, required=True, help="evaluate --essentia --unlabeled … --json output")
    parser.add_argument("--set", help="the unlabelled set's name in it (default: the only one)")
    parser.add_argument("--json", type=Path, help="save every number")
    args = parser.parse_args()
    rows = load(args.results, args.evaluate, args.set)
    if not rows:
        raise SystemExit("real_confidence: no file is in both")
    s = summarize(rows)
    print(f"{s['files']} real recordings: keyscan agrees with the reference on {s['agreement']:.1%} "
          f"(mean confidence {s['mean_confidence']:.3f}); AUROC of confidence for that agreement {fmt(s['auroc'])}; "
          f"ECE with the reference as label {s['ece']:.3f}, and {s['ece_where_consensus']:.3f} on the "
          f"{s['consensus_files']} files where the reference and essentia agree (agreement there "
          f"{s['agreement_where_consensus']:.1%}); mean confidence {fmt(s['mean_confidence_all_three_agree'])} where all "
          f"three agree ({s['all_three_agree']} files), {fmt(s['mean_confidence_otherwise'])} elsewhere\n")
    print("| confidence | files | mean confidence | agrees with reference | files where reference = essentia "
          "| agrees there |")
    print("|---|---:|---:|---:|---:|---:|")
    for b in s["bands"]:
        print(f"| {b['band']} | {b['files']} | {fmt(b['mean_confidence'])} | {fmt(b['agrees_with_reference'])} "
              f"| {b['consensus_files']} | {fmt(b['agrees_where_consensus'])} |")
    if args.json:
        args.json.write_text(json.dumps(s, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
