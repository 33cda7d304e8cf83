#!/usr/bin/env python3
"""Evaluate keyscan models against labels and baselines, side by side on the same files.

    evaluate.py [--keyscan BIN] [--model OURS.safetensors ...] [--reference REF.safetensors] [--exact]
                [--essentia] [--unlabeled DIR ...] [--json OUT] [--jobs N] [--work DIR] SET_DIR...

Each SET_DIR holds audio (searched recursively) and labels.tsv (header; columns file, key,
camelot; files relative to SET_DIR). For each set, on the labelled files:

  ours        `keyscan analyze --format jsonl --model OURS SET_DIR`: what users get
  reference   the same with the reference KeyNet converted to keyscan's format
              (default ../local/keynet-ref.safetensors beside the checkout; see
              tools/training/convert_keynet.py; it never goes into the repository)
  KK, Temperley  classic key profiles (Krumhansl–Kessler 1982; Temperley 2007's Kostka–Payne
              profiles) correlated with a chroma folded from the same log-CQT that
              `keyscan features` writes (the model's input), averaged over the whole file;
              SET_DIR/features/<stem>.npy is used when up to date (extract_features.py),
              else `keyscan features` runs into --work
  essentia    with --essentia: essentia's KeyExtractor(profileType='edma')

and prints, per set, one Markdown table (rows: systems; columns: exact %, MIREX with the fifth
= dominant only (mir_eval), MIREX with the fifth = dominant or subdominant, the count per
category — correct, dominant, subdominant, relative, parallel, other, failed — and accuracy
per mode), then accuracy per key. A file a system fails on counts as "failed" (score 0), so
every system is scored on the same files. Then a summary over sets with the targets: ours ≥
reference on every set, and MIREX ≥ --target-mirex on sets whose name matches (default
pop909=0.90).

--unlabeled DIR (real recordings, no labels): how often ours agrees with the reference, with
essentia (edma), and with both on the files where those two agree; with the relation
(fifth, relative, parallel) of each disagreement.

--model may be given several times (e.g. to compare widths); the first is "ours" in the
targets. --json OUT saves every number and every file's keys. Essentia results are cached in
--work (default: a temporary folder) by path, size and mtime.

Examples:
  tools/evaluation/evaluate data/heldout-pop909 data/heldout-mma --unlabeled ~/Music --json eval.json
  tools/evaluation/evaluate --model runs/k12.safetensors --model runs/k16.safetensors data/heldout-pop909
"""

from __future__ import annotations

import argparse
import csv
import datetime
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402
import key_metrics  # noqa: E402

DEFAULT_KEYSCAN = REPO / ".build" / "release" / "keyscan"
# ["--exact"] with --exact: added to every keyscan analyze and features command.
FRONT_END: list[str] = []
DEFAULT_MODEL = REPO / "Weights" / "keyscan.safetensors"
DEFAULT_REFERENCE = REPO.parent / "local" / "keynet-ref.safetensors"
AUDIO_EXTENSIONS = {".mp3", ".mp4", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".aiff", ".aif", ".au", ".opus"}

# Key profiles, index 0 = tonic.
PROFILES = {
    "KK": ("Krumhansl–Kessler profile",
           [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
           [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
    # Temperley, Music and Probability (2007): pitch-class frequencies in the Kostka–Payne corpus.
    "Temperley": ("Temperley (Kostka–Payne) profile",
                  [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400],
                  [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330]),
}


class EvaluationError(Exception):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Inputs


def read_labels(set_dir: Path) -> dict[str, camelot.Key]:
    """Real path of each labelled file → its key, from SET_DIR/labels.tsv."""
    tsv = set_dir / "labels.tsv"
    if not tsv.is_file():
        raise EvaluationError(f"{set_dir}: no labels.tsv")
    labels = {}
    with open(tsv, newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if r and r[0].strip()]
    header = [h.strip().lower() for h in rows[0]]
    if "file" not in header:
        raise EvaluationError(f"{tsv}: header {header} has no 'file' column")
    file_col = header.index("file")
    key_cols = [header.index(c) for c in ("camelot", "key") if c in header]
    if not key_cols:
        raise EvaluationError(f"{tsv}: header {header} has neither 'camelot' nor 'key'")
    for line, row in enumerate(rows[1:], 2):
        try:
            key = camelot.parse_key(row[key_cols[0]])
        except (ValueError, IndexError) as error:
            raise EvaluationError(f"{tsv}: row {line}: {error}") from error
        labels[os.path.realpath(set_dir / row[file_col])] = key
    return labels


def audio_files(folder: Path) -> list[str]:
    return sorted(os.path.realpath(p) for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith("."))


def model_metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        return dict(f.metadata() or {})


# ---------------------------------------------------------------------------------------
# Systems


def run_keyscan(keyscan: Path, model: Path, folder: Path, jobs: int) -> tuple[dict[str, camelot.Key | None], float]:
    """Real path → key (None when keyscan reported an error) for every audio file in folder,
    from `keyscan analyze --format jsonl`; and the wall seconds it took."""
    command = [str(keyscan), "analyze", "--format", "jsonl", "--jobs", str(jobs), "--model", str(model), *FRONT_END, str(folder)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: some files failed, still a result per file
        raise EvaluationError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
    keys = {}
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        path = os.path.realpath(item["path"])
        keys[path] = camelot.from_camelot(item["camelot"]) if item.get("status") == "ok" else None
    return keys, seconds


def extract_features(keyscan: Path, folder: Path, out: Path, jobs: int) -> dict[str, Path]:
    """Real audio path → .npy of its model input, via `keyscan features` (the engine's CQT)."""
    out.mkdir(parents=True, exist_ok=True)
    command = [str(keyscan), "features", "--jobs", str(jobs), "--out", str(out), *FRONT_END, str(folder)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise EvaluationError(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
    paths = {}
    for line in result.stdout.splitlines():
        item = json.loads(line)
        if item.get("status") == "ok":
            paths[os.path.realpath(item["path"])] = Path(item["output"])
    return paths


def existing_features(set_dir: Path, files: list[str]) -> dict[str, Path] | None:
    """SET_DIR/features/<stem>.npy for every file when all exist and are newer than their audio
    (extract_features.py writes them with `keyscan features`), else None."""
    found = {}
    for f in files:
        npy = set_dir / "features" / (Path(f).stem + ".npy")
        if not npy.is_file() or npy.stat().st_mtime < os.stat(f).st_mtime:
            return None
        found[f] = npy
    return found


def fold_matrix() -> np.ndarray:
    """(12, 105) map from CQT bins to pitch classes. Bin b is b/2 semitones above 65 Hz, which is
    C2 (65.41 Hz) less 10 cents: even bins sit on a semitone (pitch class (b/2) mod 12, C = 0),
    odd bins halfway between two, so each odd bin gives half to either neighbour. On 94
    labelled POP909 renders this beat even bins only and (2k, 2k+1) pairs for the KK profile
    (exact 72% vs 66% and 57%), and folding log1p|CQT| beat folding |CQT| (72% vs 67%)."""
    fold = np.zeros((12, 105))
    for b in range(105):
        if b % 2 == 0:
            fold[(b // 2) % 12, b] = 1.0
        else:
            fold[(b // 2) % 12, b] = fold[(b // 2 + 1) % 12, b] = 0.5
    return fold


def profile_templates(major: list[float], minor: list[float]) -> np.ndarray:
    """(24, 12) profiles rotated to each key, rows in KeyNet's Camelot order."""
    templates = np.zeros((24, 12))
    for index in range(24):
        key = camelot.from_index(index)
        base = np.asarray(minor if key.minor else major, dtype=np.float64)
        templates[index] = np.roll(base, key.tonic)  # templates[i][pc] = base[(pc - tonic) % 12]
    return templates


def profile_keys(spectrograms: dict[str, Path]) -> dict[str, dict[str, camelot.Key]]:
    """Profile name → (real path → key): the template with the largest Pearson correlation with
    the file's time-averaged chroma."""
    fold = fold_matrix()
    templates = {name: profile_templates(major, minor) for name, (_, major, minor) in PROFILES.items()}
    out: dict[str, dict[str, camelot.Key]] = {name: {} for name in PROFILES}
    for path, npy in spectrograms.items():
        chroma = fold @ np.load(npy).astype(np.float64).mean(axis=1)
        for name, t in templates.items():
            a = chroma - chroma.mean()
            b = t - t.mean(axis=1, keepdims=True)
            r = (b @ a) / (np.linalg.norm(b, axis=1) * np.linalg.norm(a) + 1e-12)
            out[name][path] = camelot.from_index(int(np.argmax(r)))
    return out


def _essentia_key(path: str) -> tuple[str, str | None, str | None]:
    """(path, Camelot code or None, error or None) from essentia's KeyExtractor, edma profile."""
    try:
        import essentia

        essentia.log.infoActive = False
        essentia.log.warningActive = False
        import essentia.standard as es

        audio = es.MonoLoader(filename=path, sampleRate=44100)()
        key, scale, _strength = es.KeyExtractor(profileType="edma", sampleRate=44100)(audio)
        return path, camelot.parse_key(f"{key} {scale}").camelot, None
    except Exception as error:  # one bad file must not stop the evaluation
        return path, None, f"{type(error).__name__}: {error}"


def essentia_available() -> str | None:
    """None when essentia imports, else why not."""
    try:
        import importlib

        import essentia

        essentia.log.infoActive = False  # its import otherwise logs an INFO line about classifiers
        importlib.import_module("essentia.standard")
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def run_essentia(files: list[str], jobs: int, cache_path: Path) -> dict[str, camelot.Key | None]:
    """Real path → essentia's key (None on failure), cached in cache_path by path, size, mtime."""
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}

    def stamp(path: str) -> str:
        st = os.stat(path)
        return f"{path}|{st.st_size}|{st.st_mtime_ns}"

    todo = [f for f in files if stamp(f) not in cache]
    if todo:
        log(f"  essentia: {len(todo)} files ({len(files) - len(todo)} cached)")
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for path, code, error in pool.map(_essentia_key, todo, chunksize=1):
                if error:
                    log(f"  essentia: {path}: {error}")
                cache[stamp(path)] = code
        cache_path.write_text(json.dumps(cache, indent=0, sort_keys=True))
    return {f: (camelot.from_camelot(cache[stamp(f)]) if cache[stamp(f)] else None) for f in files}


# ---------------------------------------------------------------------------------------
# Reports


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def labelled_table(systems: dict[str, dict], titles: dict[str, str]) -> list[str]:
    lines = ["| system | exact % | MIREX (fifth = dominant) | MIREX (fifth = dom. or subdom.) | "
             + " | ".join(key_metrics.CATEGORIES) + " | major % (n) | minor % (n) |",
             "|---|---:|---:|---:|" + "---:|" * len(key_metrics.CATEGORIES) + "---:|---:|"]
    for name, s in systems.items():
        modes = [f"{percent(s['per_mode'][m]['accuracy'])} ({s['per_mode'][m]['n']})" for m in ("major", "minor")]
        lines.append(f"| {titles[name]} | {percent(s['exact'])} | {score(s['mirex'])} | {score(s['mirex_both'])} | "
                     + " | ".join(str(s["counts"][c]) for c in key_metrics.CATEGORIES) + " | " + " | ".join(modes) + " |")
    return lines


def per_key_table(systems: dict[str, dict], titles: dict[str, str]) -> list[str]:
    names = list(systems)
    lines = ["| key | n | " + " | ".join(titles[n] for n in names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    first = systems[names[0]]["per_key"]
    for code, item in first.items():
        key = camelot.from_camelot(code)
        cells = [percent(systems[n]["per_key"][code]["accuracy"]) for n in names]
        lines.append(f"| {code} {key.name} | {item['n']} | " + " | ".join(cells) + " |")
    return lines


def agreement(a: dict[str, camelot.Key | None], b: dict[str, camelot.Key | None], files: list[str]) -> dict:
    """How often a's key equals b's on `files` where both have one, with the relation of each
    disagreement (b taken as the reference)."""
    both = [f for f in files if a.get(f) is not None and b.get(f) is not None]
    counts = {c: 0 for c in key_metrics.CATEGORIES if c != "failed"}
    for f in both:
        counts[key_metrics.category(a[f], b[f])] += 1
    return {"n": len(both), "agree": counts["correct"] / len(both) if both else None, "counts": counts}


# ---------------------------------------------------------------------------------------
# Main


def evaluate_set(set_dir: Path, args, models: list[tuple[str, Path]], work: Path) -> dict:
    labels = read_labels(set_dir)
    files = sorted(labels)
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise EvaluationError(f"{set_dir}: {len(missing)} labelled files do not exist, e.g. {missing[0]}")
    log(f"{set_dir}: {len(files)} labelled files")
    estimates: dict[str, dict[str, camelot.Key | None]] = {}
    seconds: dict[str, float] = {}
    for name, model in models:
        log(f"  keyscan analyze --model {model}")
        estimates[name], seconds[name] = run_keyscan(args.keyscan, model, set_dir, args.jobs)
    spectrograms = existing_features(set_dir, files)
    if spectrograms is None:
        log("  keyscan features (for the key-profile baselines)")
        tag = hashlib.sha1(str(set_dir).encode()).hexdigest()[:10]
        spectrograms = extract_features(args.keyscan, set_dir, work / f"features-{set_dir.name}-{tag}",
                                        args.jobs)
    else:
        log(f"  using {set_dir / 'features'}/*.npy (up to date) for the key-profile baselines")
    for name, keys in profile_keys({f: spectrograms[f] for f in files if f in spectrograms}).items():
        estimates[name] = keys
    if args.essentia:
        estimates["essentia"] = run_essentia(files, args.jobs, work / "essentia-cache.json")

    systems = {name: key_metrics.summarize([(keys.get(f), labels[f]) for f in files])
               for name, keys in estimates.items()}
    return {"name": set_dir.name, "path": str(set_dir), "files": len(files), "systems": systems,
            "keyscan_seconds": seconds,
            "per_file": {os.path.relpath(f, set_dir): {"label": labels[f].camelot,
                                                       **{n: (k.get(f).camelot if k.get(f) else None)
                                                          for n, k in estimates.items()}}
                         for f in files}}


def evaluate_unlabeled(folder: Path, args, models: list[tuple[str, Path]], work: Path, essentia_note: str | None) -> dict:
    files = audio_files(folder)
    log(f"{folder}: {len(files)} unlabelled audio files")
    keys: dict[str, dict[str, camelot.Key | None]] = {}
    for name, model in models:
        keys[name], _ = run_keyscan(args.keyscan, model, folder, args.jobs)
    if essentia_note is None:
        keys["essentia"] = run_essentia(files, args.jobs, work / "essentia-cache.json")
    ours = models[0][0]
    comparisons = {}
    others = [n for n, _ in models[1:]] + (["essentia"] if "essentia" in keys else [])
    for other in others:
        comparisons[f"{ours} vs {other}"] = agreement(keys[ours], keys[other], files)
    if "reference" in keys and "essentia" in keys:
        comparisons["reference vs essentia"] = agreement(keys["reference"], keys["essentia"], files)
        consensus = [f for f in files if keys["reference"].get(f) is not None
                     and keys["reference"].get(f) == keys["essentia"].get(f)]
        comparisons[f"{ours} vs reference & essentia, where they agree"] = agreement(keys[ours], keys["reference"], consensus)
    return {"name": folder.name, "path": str(folder), "files": len(files), "comparisons": comparisons,
            "essentia": essentia_note or "edma",
            "per_file": {os.path.relpath(f, folder): {n: (k.get(f).camelot if k.get(f) else None) for n, k in keys.items()}
                         for f in files}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", type=Path, metavar="SET_DIR", help="folders with audio and labels.tsv")
    parser.add_argument("--keyscan", type=Path, default=DEFAULT_KEYSCAN, help=f"keyscan binary (default {DEFAULT_KEYSCAN})")
    parser.add_argument("--model", type=Path, action="append",
                        help=f"our model; repeat to compare several (default {DEFAULT_MODEL})")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help=f"reference KeyNet in keyscan's format (default {DEFAULT_REFERENCE}); 'none' to skip")
    parser.add_argument("--unlabeled", type=Path, nargs="+", default=[], metavar="DIR",
                        help="folders of unlabelled recordings: agreement with reference and essentia")
    parser.add_argument("--essentia", action="store_true", help="also score essentia (edma) on the labelled sets")
    parser.add_argument("--target-mirex", action="append", default=None, metavar="GLOB=VALUE",
                        help="MIREX target for sets whose folder name matches GLOB (default *pop909*=0.90)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="files at once (default: all cores)")
    parser.add_argument("--work", type=Path, help="folder for features and the essentia cache (default: temporary)")
    parser.add_argument("--json", type=Path, help="save everything (scores, per-file keys) to this JSON file")
    parser.add_argument("--exact", action="store_true",
                        help="run keyscan's exact front end (analyze and features --exact) for every model; "
                             "by default each model runs on the front end its weights declare")
    args = parser.parse_args()
    FRONT_END[:] = ["--exact"] if args.exact else []
    if not args.sets and not args.unlabeled:
        parser.error("give at least one SET_DIR or --unlabeled DIR")

    models = [(Path(m).stem if len(args.model or []) > 1 else "ours", Path(m)) for m in (args.model or [DEFAULT_MODEL])]
    if len({n for n, _ in models}) != len(models):
        parser.error("--model files must have different names")
    if str(args.reference) != "none":
        if not args.reference.is_file():
            parser.error(f"reference model not found: {args.reference} (convert it with tools/training/convert_keynet.py "
                         "outside the repository, or pass --reference none)")
        models.append(("reference", args.reference))
    for _, path in models:
        if not path.is_file():
            parser.error(f"model not found: {path}")
    if not os.access(args.keyscan, os.X_OK):
        parser.error(f"keyscan binary not found: {args.keyscan} (swift build -c release)")
    targets = []
    for item in args.target_mirex or ["*pop909*=0.90"]:
        pattern, _, value = item.partition("=")
        targets.append((pattern, float(value)))

    titles = {}
    for name, path in models:
        meta = model_metadata(path)
        what = f"{meta.get('name', '?')} {meta.get('version', '')}".strip()
        titles[name] = f"{name} ({what}, nf={meta.get('nf', '?')})"
    titles.update({n: title for n, (title, _, _) in PROFILES.items()})
    titles["essentia"] = "essentia KeyExtractor (edma)"
    essentia_note = essentia_available()
    if args.essentia and essentia_note:
        log(f"essentia is not available ({essentia_note}): its row is skipped")
        args.essentia = False

    work = args.work or Path(tempfile.mkdtemp(prefix="keyscan-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "keyscan": str(args.keyscan),
                    "models": {n: {"path": str(p), "metadata": model_metadata(p)} for n, p in models},
                    "sets": [], "unlabeled": []}
    command = " ".join(["tools/evaluation/evaluate"] + [a if a and " " not in a else repr(a) for a in sys.argv[1:]])
    out = [f"Evaluated {report['date'][:10]} with `{command}`", ""]
    out += [f"- {titles[n]}: `{p}`" for n, p in models] + [""]
    try:
        for set_dir in args.sets:
            result = evaluate_set(set_dir.resolve(), args, models, work)
            report["sets"].append(result)
            out += [f"## {result['name']}: {result['files']} labelled files", "",
                    *labelled_table(result["systems"], titles), "", "Accuracy per key (%):", "",
                    *per_key_table(result["systems"], titles), ""]
        for folder in args.unlabeled:
            result = evaluate_unlabeled(folder.resolve(), args, models, work, essentia_note)
            report["unlabeled"].append(result)
            out += [f"## {result['name']}: {result['files']} unlabelled files", ""]
            if essentia_note:
                out += [f"essentia is not available ({essentia_note}): its columns are skipped.", ""]
            out += ["| comparison | files | agreement % | dominant | subdominant | relative | parallel | other |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for label, a in result["comparisons"].items():
                c = a["counts"]
                out.append(f"| {label} | {a['n']} | {percent(a['agree'])} | {c['dominant']} | {c['subdominant']} | "
                           f"{c['relative']} | {c['parallel']} | {c['other']} |")
            out.append("")
    except EvaluationError as error:
        log(f"evaluate: {error}")
        return 2
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    if report["sets"]:
        names = list(report["sets"][0]["systems"])
        out += ["## Summary: MIREX (fifth = dominant) / exact %", "",
                "| set | files | " + " | ".join(titles[n] for n in names) + " |",
                "|---|---:|" + "---:|" * len(names)]
        for s in report["sets"]:
            out.append(f"| {s['name']} | {s['files']} | " + " | ".join(
                f"{score(s['systems'][n]['mirex'])} / {percent(s['systems'][n]['exact'])}" for n in names) + " |")
        out.append("")
        ours = models[0][0]
        checks = []
        for s in report["sets"]:
            mine = s["systems"][ours]
            if "reference" in s["systems"]:
                ref = s["systems"]["reference"]
                ok = mine["mirex"] >= ref["mirex"] and mine["mirex_both"] >= ref["mirex_both"]
                checks.append({"set": s["name"], "target": "MIREX ≥ reference (both conventions)", "met": ok,
                               "value": f"{mine['mirex']:.3f} / {mine['mirex_both']:.3f} vs "
                                        f"{ref['mirex']:.3f} / {ref['mirex_both']:.3f}"})
            for pattern, value in targets:
                if fnmatch.fnmatch(s["name"], pattern):
                    checks.append({"set": s["name"], "target": f"MIREX ≥ {value:.2f}", "met": mine["mirex"] >= value,
                                   "value": f"{mine['mirex']:.3f}"})
        report["targets"] = checks
        if checks:
            out += ["Targets:", ""] + [f"- {c['set']}: {c['target']}: {c['value']} — {'met' if c['met'] else 'NOT met'}"
                                       for c in checks] + [""]
    print("\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
