#!/usr/bin/env python3
"""Calibrate a keyscan model's confidence: fit a softmax temperature on validation data and
report how honest the confidence is before and after.

    calibrate.py --model M.safetensors --fit TSV... [--heldout TSV...] [--real TSV...
                 --reference REF] [--write] [--json OUT]

keyscan's `confidence` is softmax(logits / T)[key], T read from the weights' metadata
(`temperature`, 1 when absent). This tool:

  1. runs the model over every row of the --fit features (whole tracks, as `keyscan
     analyze` does; rows of set val/validation only, so nothing trained on is used),
  2. fits T by minimising the negative log-likelihood of the labels (a scalar: it never
     changes which key wins, only how sure the model says it is),
  3. reports, for T = 1 and the fitted T, the expected calibration error (15 equal-width
     bins of confidence; |accuracy − mean confidence| weighted by the bin's share) on each
     --heldout set (labelled renders never trained on) and on --real sets, where the
     --reference model's keys stand in for labels (so there it measures agreement, not
     accuracy), and on all --heldout sets pooled, beside the ECE a perfectly calibrated
     model would show on as few files by chance, per confidence band how often the
     answer is right, the relative key, or another error, and the AUROC: how well the
     confidence separates right answers (on --real: agreement) from wrong ones, the chance
     that a right answer has the higher confidence of a random right/wrong pair,
  3b. with --reference, the same on the held-out renders' *easy subset*, the files the
     reference gets right: real sets can only be scored where a stand-in label exists, and
     stand-ins exist where detectors agree, on the easy tracks; this row shows what that
     selection alone does to the ECE of a model whose calibration is known,
  4. with --write, stores T in the model file's metadata (`temperature`), keeping every
     tensor byte-identical.

Features are `keyscan features` .npy files indexed by features.tsv (see train_keynet.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402
import key_metrics  # noqa: E402
from train_keynet import FeatureStore, load_teacher, predict, read_features_tsv  # noqa: E402

BINS = 15
RESAMPLES = 1000
BANDS = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001)]


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels] + 1e-12)))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """argmin over T of the NLL: a coarse log grid, then golden-section search around its best."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 200))
    best = int(np.argmin([nll(logits, labels, t) for t in grid]))
    lo, hi = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(logits, labels, a) < nll(logits, labels, b):
            hi = b
        else:
            lo = a
    return float((lo + hi) / 2)


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray) -> float:
    """Σ over 15 equal-width confidence bins of |accuracy − mean confidence| × the bin's share."""
    ece = 0.0
    edges = np.linspace(0, 1, BINS + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        members = (confidence > lo) & (confidence <= hi)
        if members.any():
            ece += members.mean() * abs(right[members].mean() - confidence[members].mean())
    return float(ece)


def auroc(confidence: np.ndarray, right: np.ndarray) -> float | None:
    """P(a right answer's confidence > a wrong one's), ties counting half (Mann–Whitney U);
    None when every answer is right or every one wrong."""
    positives, negatives = confidence[right], confidence[~right]
    if not len(positives) or not len(negatives):
        return None
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    values = np.concatenate([positives, negatives])
    for value in np.unique(values):  # average ranks over ties
        tied = values == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    u = ranks[:len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(positives) * len(negatives)))


def calibration(logits: np.ndarray, labels: np.ndarray, temperature: float) -> dict:
    """ECE (15 bins), accuracy, mean confidence and the per-band table at `temperature`."""
    p = softmax(logits, temperature)
    guess = p.argmax(1)
    confidence = p.max(1)
    right = guess == labels
    ece = expected_calibration_error(confidence, right)
    # ECE on a few hundred files is never 0: what a perfectly calibrated model would show by
    # chance at these confidences (each answer right with exactly its confidence), averaged.
    rng = np.random.default_rng(0)
    chance = [expected_calibration_error(confidence, rng.random(len(labels)) < confidence) for _ in range(RESAMPLES)]
    bands = []
    for lo, hi in BANDS:
        members = (confidence >= lo) & (confidence < hi)
        n = int(members.sum())
        categories = [key_metrics.category(camelot.from_index(int(g)), camelot.from_index(int(t)))
                      for g, t in zip(guess[members], labels[members])]
        bands.append({"band": f"{lo:.1f}–{min(hi, 1.0):.1f}", "files": n,
                      "mean_confidence": float(confidence[members].mean()) if n else None,
                      "correct": categories.count("correct") / n if n else None,
                      "relative": categories.count("relative") / n if n else None,
                      "other_errors": (n - categories.count("correct") - categories.count("relative")) / n if n else None})
    return {"temperature": temperature, "files": len(labels), "ece": float(ece), "auroc": auroc(confidence, right),
            "ece_if_calibrated": float(np.mean(chance)), "accuracy": float(right.mean()),
            "mean_confidence": float(confidence.mean()), "nll": nll(logits, labels, temperature), "bands": bands}


def load_rows(tsvs: list[str], labeled: bool, sets: tuple[str, ...] | None = None):
    rows = []
    for tsv in tsvs:
        found, _ = read_features_tsv(tsv, labeled=labeled)
        rows += [r for r in found if sets is None or r.set in sets]
    return rows


def logits_of(model, rows) -> np.ndarray:
    return predict(model, FeatureStore(rows, ram_gb=8.0))


def fmt(value, spec=".3f") -> str:
    return "–" if value is None else format(value, spec)


def table(name: str, before: dict, after: dict) -> str:
    lines = [f"**{name}** ({after['files']} files): ECE {before['ece']:.3f} at T = {before['temperature']:.3f} → "
             f"**{after['ece']:.3f}** at T = {after['temperature']:.3f} (a perfectly "
             f"calibrated model would show {after['ece_if_calibrated']:.3f} on these files by chance); "
             f"accuracy {after['accuracy']:.3f}, AUROC {fmt(after['auroc'])}, "
             f"mean confidence {before['mean_confidence']:.3f} → {after['mean_confidence']:.3f}", "",
             "| confidence | files | mean confidence | right | relative key | other error |",
             "|---|---:|---:|---:|---:|---:|"]
    for band in after["bands"]:
        lines.append(f"| {band['band']} | {band['files']} | {fmt(band['mean_confidence'])} | {fmt(band['correct'])} | "
                     f"{fmt(band['relative'])} | {fmt(band['other_errors'])} |")
    return "\n".join(lines)


def write_temperature(path: str, temperature: float) -> None:
    """Rewrite the model file with `temperature` in its metadata; tensors unchanged."""
    from safetensors.numpy import load_file

    import keynet

    _, meta = keynet.load_safetensors(path)
    tensors = load_file(path)
    keynet.write_safetensors(path, tensors, dict(meta, temperature=f"{temperature:.4f}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="keyscan .safetensors to calibrate")
    parser.add_argument("--fit", nargs="+", required=True, metavar="TSV",
                        help="labelled features.tsv; its val/validation rows fit the temperature")
    parser.add_argument("--heldout", nargs="*", default=[], metavar="TSV", help="labelled held-out features.tsv")
    parser.add_argument("--real", nargs="*", default=[], metavar="TSV", help="unlabelled real validation features.tsv")
    parser.add_argument("--reference", help="model whose keys stand in for labels on --real (.safetensors or the reference's .pt)")
    parser.add_argument("--write", action="store_true", help="store the fitted temperature in --model's metadata")
    parser.add_argument("--json", type=Path, help="save every number")
    args = parser.parse_args()
    if args.real and not args.reference:
        parser.error("--real needs --reference")
    import keynet  # torch: only for a run, so the scoring functions test without it

    model, meta = keynet.load_safetensors(args.model)
    current = float(meta.get("temperature", 1.0))
    fit_rows = load_rows(args.fit, True, ("val", "validation"))
    if not fit_rows:
        parser.error("no val/validation rows in --fit")
    fit_logits = logits_of(model, fit_rows)
    fit_labels = np.array([r.label for r in fit_rows])
    temperature = fit_temperature(fit_logits, fit_labels)
    report = {"model": args.model, "previous_temperature": current, "temperature": temperature,
              "fit": {"files": len(fit_rows), "before": calibration(fit_logits, fit_labels, 1.0),
                      "after": calibration(fit_logits, fit_labels, temperature)}, "sets": {}}
    print(f"fitted T = {temperature:.4f} on {len(fit_rows)} validation files "
          f"(NLL {report['fit']['before']['nll']:.4f} → {report['fit']['after']['nll']:.4f})\n")
    groups = [(Path(t).parent.parent.name if Path(t).parent.name == "features" else Path(t).stem, [t], True)
              for t in args.heldout]
    if len(args.heldout) > 1:
        groups.append(("all held-out renders", args.heldout, True))
    if args.heldout and args.reference:
        groups.append(("held-out renders the reference gets right (the easy subset)", args.heldout, "easy"))
    groups += [(f"{Path(t).stem} (real; reference as label)", [t], False) for t in args.real]
    reference = load_teacher(args.reference) if args.reference else None
    for name, tsvs, labeled in groups:
        rows = load_rows(tsvs, bool(labeled))
        if not rows:
            continue
        logits = logits_of(model, rows)
        labels = np.array([r.label for r in rows]) if labeled else logits_of(reference, rows).argmax(1)
        if labeled == "easy":
            easy = logits_of(reference, rows).argmax(1) == labels
            logits, labels = logits[easy], labels[easy]
        before, after = calibration(logits, labels, 1.0), calibration(logits, labels, temperature)
        report["sets"][name] = {"before": before, "after": after}
        print(table(name, before, after) + "\n")
    if args.write:
        write_temperature(args.model, temperature)
        print(f"wrote temperature {temperature:.4f} into {args.model}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
