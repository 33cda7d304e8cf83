#!/usr/bin/env python3
"""Score training runs side by side for the model card's ablation table.

    ablation_table.py NAME=RUN_DIR|MODEL... [--heldout TSV...] [--real TSV --reference REF]
                      [--essentia-cache JSON] [--json OUT]

For each run's best.pt (the epoch the run selected by render-validation MIREX), or a model
file (.safetensors, or the reference's .pt) to compare with, in PyTorch on
the features keyscan computes (whole tracks, as `keyscan analyze` sees them):
  - every --heldout set (labelled renders never trained on): exact, MIREX (fifth = dominant)
    and the number of relative-key errors;
  - the --real set (unlabelled): agreement with --reference's key, and agreement on the tracks
    where the reference and essentia's KeyExtractor (profile edma) agree, the stand-in for a
    label used by Weights/README.md. essentia is only compared with, never trained on; its
    keys come from tools/evaluation/evaluate.py's cache (computed there when missing).

The runs differ only in what the ablation changes (tools/training/ablation.sh), so the
table shows what each change adds; it is not the shipped model's evaluation, which runs the
real keyscan binary (tools/evaluation/evaluate).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))
sys.path.insert(0, str(TOOLS / "evaluation"))
import key_metrics  # noqa: E402
from evaluate import run_essentia  # noqa: E402
from train_keynet import FeatureStore, load_checkpoint, load_teacher, predict, read_features_tsv  # noqa: E402


def load_run(run: Path):
    """A run folder's best.pt (its model and logged record), or a model file (no record)."""
    if run.is_file():
        return load_teacher(str(run)), {"epoch": None, "val_mirex": None}
    model, _, record = load_checkpoint(run / "best.pt")
    return model, record


def audio_paths(tsv: str) -> dict[str, str]:
    """.npy path → the real path of its audio (links resolved, as evaluate.py caches essentia)."""
    folder = Path(tsv).resolve().parent
    with open(tsv, newline="") as f:
        return {str((folder / row["npy"]).resolve()): os.path.realpath(row["audio"])
                for row in csv.DictReader(f, delimiter="\t")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR|MODEL")
    parser.add_argument("--heldout", nargs="*", default=[], metavar="TSV")
    parser.add_argument("--real", metavar="TSV", help="unlabelled real validation features.tsv")
    parser.add_argument("--reference", help="the model whose keys stand in for labels on --real")
    parser.add_argument("--essentia-cache", type=Path, default=TOOLS.parent / "data/eval-work/essentia-cache.json")
    parser.add_argument("--json", type=Path, help="save every number")
    args = parser.parse_args()
    if args.real and not args.reference:
        parser.error("--real needs --reference")

    heldout = []
    for tsv in args.heldout:
        rows, _ = read_features_tsv(tsv)
        heldout.append((Path(tsv).parent.parent.name, FeatureStore(rows, ram_gb=8.0), np.array([r.label for r in rows])))
    real = None
    if args.real:
        rows, _ = read_features_tsv(args.real, labeled=False)
        store = FeatureStore(rows, ram_gb=8.0)
        reference = predict(load_teacher(args.reference), store).argmax(1)
        paths = audio_paths(args.real)
        files = [paths[str(Path(r.path).resolve())] for r in rows]
        essentia = run_essentia(files, os.cpu_count() or 1, args.essentia_cache)
        essentia_index = np.array([essentia[f].index if essentia[f] else -1 for f in files])
        consensus = essentia_index == reference
        real = (store, reference, consensus)

    results = {}
    for spec in args.runs:
        name, _, run = spec.partition("=")
        model, record = load_run(Path(run))
        result = {"run": run, "epoch": record["epoch"], "val_mirex": record.get("val_mirex"), "sets": {}}
        for set_name, store, labels in heldout:
            scores = key_metrics.summarize_indices(predict(model, store).argmax(1), labels)
            result["sets"][set_name] = {k: scores[k] for k in ("n", "exact", "mirex", "counts")}
        if real:
            store, reference, consensus = real
            guess = predict(model, store).argmax(1)
            result["real"] = {"n": len(guess), "agreement": float((guess == reference).mean()),
                              "consensus_n": int(consensus.sum()),
                              "consensus_agreement": float((guess == reference)[consensus].mean())}
        results[name] = result
        print(f"{name}: done", file=sys.stderr)

    header = ["arm", "best epoch", "render val MIREX"]
    for set_name, _, _ in heldout:
        header += [f"{set_name} exact", "MIREX", "relative errors"]
    if real:
        header += [f"real: agreement with reference ({len(real[0].examples)})",
                   f"where reference = essentia ({int(real[2].sum())})"]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for name, r in results.items():
        cells = [name, str(r["epoch"] or "–"), f"{r['val_mirex']:.3f}" if r["val_mirex"] is not None else "–"]
        for set_name, _, _ in heldout:
            s = r["sets"][set_name]
            cells += [f"{100 * s['exact']:.1f} %", f"{s['mirex']:.3f}", str(s["counts"]["relative"])]
        if real:
            cells += [f"{100 * r['real']['agreement']:.1f} %", f"{100 * r['real']['consensus_agreement']:.1f} %"]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
