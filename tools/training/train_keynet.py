#!/usr/bin/env python3
"""Train keyscan's KeyNet on `keyscan features` spectrograms and export it for the engine.

Stages, each a subcommand with its own --help:

  train   TSV... --run DIR   train; a checkpoint every epoch (model, optimizer, schedule,
                             early-stopping state) in DIR/last.pt, the best epoch by
                             validation MIREX in DIR/best.pt; `--resume` goes on from last.pt
  export  --run DIR --out F  best.pt → keyscan's safetensors (tools/common/keynet.py), metadata with
                             name, version, description, training data, date, git commit;
                             read back and checked against the checkpoint's logits
  sweep   TSV... --nf 8 12 16 20 --root DIR   a short training per width on a song subset,
                             then one table: parameters, MB, GMAC per 4 min, s/epoch, val scores
  time    [--nf 8 12 16 20]  seconds per training epoch of 1000 examples on this CPU (random
                             inputs), and with --keyscan/--audio the engine's model stage

Input: features.tsv files (tab-separated; a header line is optional) with columns: .npy path
(relative to the TSV's folder), Camelot class index 0–23 (i < 12 → (i+1)A minor, else
(i−11)B major), song id, set — by header name when there is a header (extract_features.py's
npy, index, song, set, …, collection; song ids are then taken per collection). Each .npy is
float32 (105, frames), as `keyscan features` writes it. Rows whose set is `train` (or empty)
train; `val` or `validation` rows validate; any other set (`heldout`, `test`, …) is left out.
Without validation rows, --val-fraction of the training *songs* (never single excerpts) is
held out, chosen by --seed.

Training: each example gives one random crop per epoch of --crop-min…--crop-max frames
(default 75–300 = 15–60 s, 5 frames/s); batches are drawn from pools sorted by length and
every batch is cropped to one length (no padding: KeyNet ends in a global average, so any
length works). Optional pitch shift of ±k semitones (--shift, default 2) moves the
spectrogram by 2k bins (24 per octave), fills the vacated bins with the crop's minimum and
rotates the label with it. Cross-entropy with label smoothing (default 0.05), AdamW, cosine
learning rate after a linear warm-up, early stopping when validation MIREX (fifth =
dominant only) has not improved for --patience epochs. Validation runs every whole
excerpt, as `keyscan analyze` does. Seeds are fixed: every epoch's crops, shifts, batch
order and dropout masks are drawn from (seed, epoch), so a resumed run repeats the same
epochs an uninterrupted one would.

Local key supervision (off by default; model 2.1): KeyNet's last map, averaged over its 13
frequency rows, is one column of 24 logits per 8 frames (1.6 s, a receptive field of about
13 s); the track's logits are their mean, and the key timeline decodes them one by one. With
--column-weight W every labelled crop also gets W × the mean cross-entropy of its columns
against the key at each column's centre: the excerpt's key, or, for rows with `regions`
(render_modulations.py's excerpts spanning a key change), the region's. Columns within
--boundary-margin seconds of a change are not scored (the annotation is not frame-exact), and
a crop that spans a change gets no track-level term. --splice P turns that share of the
labelled crops into synthetic modulations whose change is known to the frame: the crop's
second part (a random 25–75 %) is the same excerpt at another pitch shift (half the time)
or another excerpt of the batch in its own key.

Distillation (off by default): --teacher PATH (.pt state_dict or .safetensors) adds
--teacher-weight × T² × KL(teacher ‖ student) on logits softened by --teacher-temperature to
every batch, the teacher run on exactly the crop the student sees; --unlabeled TSV adds
batches of unlabeled features (real recordings) that get no cross-entropy term.

Self-supervision by transposition (off by default; STONE, Kong et al. ISMIR 2024, and S-KEY,
ICASSP 2025, in our own form): with --ssl-weight W, each unlabeled batch also gets a second
view, another crop of the same tracks (same length, own start) shifted by up to
±--ssl-shift semitones in the CQT. A key moves with the music, so the student's 24 outputs
for the first view, rotated by the relative shift k (major and minor keys rotate together),
must match its outputs for the second: W × the symmetric cross-entropy between each view's
distribution and the other's sharpened (temperature --ssl-sharpen) and held fixed. No label
is needed, so every real track counts; the labelled and teacher terms keep the outputs
from collapsing to a shift-invariant (uniform) answer.

Examples (data/ is git-ignored; data/features.tsv indexes every set, held-out rows are left out):
  train_keynet.py train data/features.tsv --run data/runs/k12 --threads 1
  train_keynet.py train --run data/runs/k12 --resume            # after an interruption
  train_keynet.py train --run data/runs/k12 --resume --epochs 40  # train longer
  train_keynet.py export --run data/runs/k12 --out Weights/keyscan.safetensors --version 1.0.0
  train_keynet.py sweep data/features.tsv --widths 8 12 16 20 --limit-songs 200 --epochs 6 --root data/runs/sweep
  train_keynet.py time --nf 8 12 16 20 --threads 1 --keyscan .build/release/keyscan --audio song.flac
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402
import key_metrics  # noqa: E402

BINS = 105
BINS_PER_SEMITONE = 2  # 24 bins per octave
FRAMES_PER_SECOND = 5
#: Real validation tracks are compared on their centre 5 minutes, to bound each epoch's cost.
REAL_VAL_FRAMES = 1500
MIN_FRAMES = 16  # three 2×2 poolings need at least 8 frames; shorter rows are skipped
CHECKPOINT_FORMAT = "keyscan-train-checkpoint-1"

#: Every training option and its default. A run stores the resolved values in config.json;
#: --resume reads them back, and only RESUME_OVERRIDES may then be changed on the command line.
DEFAULTS: dict[str, object] = {
    "data": [],
    "unlabeled": [],
    # Width: on 80 POP909 songs (15 epochs, 14 validation songs) nf 8/12/16 reached val MIREX
    # 0.78/0.77/0.65; the engine's model stage on a 4-minute track takes 22/33/47 ms (nf 20: 87).
    # 12 matches 8 there and leaves capacity for the full set; `sweep` re-decides on real data.
    "nf": 12,
    # KeyNet's five Dropout2d layers drop whole channels; on 80 songs nf=8 reached val MIREX 0.78
    # in 15 epochs without dropout and stayed near chance (0.14) with p = 0.1.
    "dropout": 0.0,
    "epochs": 30,
    "batch_size": 16,
    "lr": 1e-3,
    "weight_decay": 1e-2,
    "warmup_epochs": 1.0,
    "crop_min": 75,
    "crop_max": 300,
    "shift": 2,
    "label_smoothing": 0.05,
    "val_fraction": 0.1,
    "val_max_frames": 0,
    "limit_songs": 0,
    "patience": 8,
    "seed": 0,
    "teacher": None,
    "teacher_weight": 0.5,
    "teacher_temperature": 2.0,
    # The labels are exact on renders and the teacher is weaker there (held-out POP909 MIREX
    # 0.877 against 1.0's 0.930), so on labelled batches its term counts this share only.
    "teacher_labeled_share": 0.25,
    # Real tracks are few but long (175 tracks, 3.7 min on average): each gives this many
    # crops per epoch, so that about a quarter of the batches are real music.
    "unlabeled_repeat": 4,
    "real_val": [],
    "reference": None,
    "ssl_weight": 0.0,
    "ssl_shift": 6,
    "ssl_sharpen": 0.5,
    # Model 2.1: start from these weights (fine-tuning), and the local key supervision.
    "init": None,
    "column_weight": 0.0,
    "boundary_margin": 2.0,
    "splice": 0.0,
}
RESUME_OVERRIDES = {"epochs", "patience"}


# ---------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Example:
    """One row of a features.tsv."""

    path: str  # absolute path of the (105, frames) float32 .npy
    label: int  # KeyNet class index, Camelot order; -1 when unlabeled
    song: str
    set: str
    frames: int
    source: str  # the features.tsv it came from
    collection: str  # the data set it belongs to (the TSV's column, else its folder's name)
    #: Where each key holds, for an excerpt that changes key: (first frame, end frame, class);
    #: empty when the whole excerpt has `label`.
    regions: tuple[tuple[int, int, int], ...] = ()


# Header names accepted for each column, in order of preference (extract_features.py writes
# npy, index, song, set, frames, camelot, collection, audio).
_COLUMN_NAMES = {
    "path": ("npy", "npy_path", "path", "features", "file"),
    "label": ("index", "camelot_index", "key_index", "class", "label", "camelot"),
    "song": ("song", "song_id", "songid", "group"),
    "set": ("set", "split", "subset"),
    "collection": ("collection",),
    "regions": ("regions",),
}
TRAIN_SETS = ("train", "")
VAL_SETS = ("val", "validation")


def _label(text: str) -> int | None:
    """A class index 0–23, or a Camelot code such as "8A" converted to one; None if neither."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text) if int(text) < 24 else None
    try:
        return camelot.from_camelot(text).index
    except ValueError:
        return None


def parse_regions(text: str) -> tuple[tuple[int, int, int], ...]:
    """extract_features.py's regions cell ("0.000-32.209:18;32.209-60.000:20", seconds) as
    (first frame, end frame, class) triples; empty for an empty cell."""
    regions = []
    for part in filter(None, text.split(";")):
        span, _, index = part.partition(":")
        start, _, end = span.partition("-")
        label = _label(index)
        if label is None or not end:
            raise ValueError(f"bad region {part!r}")
        regions.append((round(float(start) * FRAMES_PER_SECOND), round(float(end) * FRAMES_PER_SECOND), label))
    return tuple(regions)


def npy_shape(path: str) -> tuple[int, ...]:
    """Shape from the .npy header alone."""
    return tuple(np.load(path, mmap_mode="r").shape)


def read_features_tsv(tsv: str | Path, labeled: bool = True) -> tuple[list[Example], list[str]]:
    """Examples of one features.tsv and warnings about the rows left out; with labeled=False
    every label is −1 (and the label column may be missing).

    Columns by header name when the first line is a header (npy/path, camelot/label,
    song, set), else by position: path, class index, song id, set."""
    tsv = Path(tsv).resolve()
    with open(tsv, newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if r and r[0].strip() and not r[0].startswith("#")]
    columns = {"path": 0, "label": 1, "song": 2, "set": 3}
    has_header = bool(rows) and not (rows[0][0].strip().endswith(".npy")
                                     or (len(rows[0]) > 1 and _label(rows[0][1]) is not None))
    if has_header:
        header = [h.strip().lower() for h in rows.pop(0)]
        columns = {}
        for field, names in _COLUMN_NAMES.items():
            found = [header.index(name) for name in names if name in header]  # in order of preference
            if found:
                columns[field] = found[0]
        if "path" not in columns:
            raise ValueError(f"{tsv}: no .npy path column in header {header}")
        if labeled and "label" not in columns:
            raise ValueError(f"{tsv}: no class-index column in header {header}")

    def cell(row: list[str], field: str) -> str:
        i = columns.get(field)
        return row[i].strip() if i is not None and i < len(row) else ""

    examples, warnings = [], []
    # SET/features/features.tsv belongs to SET; any other TSV to its own folder.
    default_collection = (tsv.parent.parent if tsv.parent.name == "features" else tsv.parent).name
    for line, row in enumerate(rows, 2 if has_header else 1):
        path = Path(cell(row, "path"))
        path = path if path.is_absolute() else tsv.parent / path
        label = -1  # unlabeled rows (distillation only) ignore any label column
        if labeled:
            text = cell(row, "label")
            label = _label(text)
            if label is None:
                raise ValueError(f"{tsv}: row {line}: class index {text!r} is not 0–23 (or a Camelot code)")
        try:
            shape = npy_shape(str(path))
        except (OSError, ValueError) as error:
            raise ValueError(f"{tsv}: row {line}: cannot read {path}: {error}") from error
        if len(shape) != 2 or shape[0] != BINS:
            raise ValueError(f"{tsv}: row {line}: {path} has shape {shape}, expected ({BINS}, frames)")
        if shape[1] < MIN_FRAMES:
            warnings.append(f"{path}: {shape[1]} frames, fewer than {MIN_FRAMES}: skipped")
            continue
        collection = cell(row, "collection") or default_collection
        song = f"{collection}:{cell(row, 'song') or path.stem}"  # song ids are unique within a collection
        try:
            regions = parse_regions(cell(row, "regions")) if labeled else ()
        except ValueError as error:
            raise ValueError(f"{tsv}: row {line}: {error}") from error
        examples.append(Example(str(path), label, song, cell(row, "set").lower() or "train", int(shape[1]), str(tsv),
                                collection, regions))
    return examples, warnings


def split_examples(examples: list[Example], val_fraction: float, seed: int,
                   limit_songs: int = 0) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, val, left out). `val`/`validation` rows validate; otherwise a fraction of the
    training songs does. With limit_songs, only that many training songs (drawn by seed) are kept."""
    train = [e for e in examples if e.set in TRAIN_SETS]
    val = [e for e in examples if e.set in VAL_SETS]
    left_out = [e for e in examples if e.set not in TRAIN_SETS + VAL_SETS]
    rng = np.random.default_rng([seed, 1])  # the split has its own stream: it never moves
    if not val and val_fraction > 0:
        songs = sorted({e.song for e in train})
        chosen = set(rng.permutation(songs)[: max(1, round(val_fraction * len(songs)))]) if len(songs) > 1 else set()
        val = [e for e in train if e.song in chosen]
        train = [e for e in train if e.song not in chosen]
    shared = sorted({e.song for e in train} & {e.song for e in val})
    if shared:
        raise ValueError(f"{len(shared)} songs are in both training and validation rows (e.g. {shared[:5]}): "
                         "validation must hold out whole songs")
    if limit_songs:
        songs = sorted({e.song for e in train})
        kept = set(rng.permutation(songs)[:limit_songs])
        train = [e for e in train if e.song in kept]
    return train, val, left_out


def describe(examples: list[Example]) -> dict:
    """Counts and hours of a list of examples."""
    frames = sum(e.frames for e in examples)
    return {"examples": len(examples), "songs": len({e.song for e in examples}),
            "hours": round(frames / FRAMES_PER_SECOND / 3600, 3)}


def data_summary(train: list[Example], val: list[Example], unlabeled: list[Example]) -> dict:
    """What the model was trained on, for the checkpoint and the weights' metadata."""
    def rel(path: str) -> str:
        p = Path(path)
        return str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p)

    per_collection = []
    for collection in sorted({e.collection for e in train + val + unlabeled}):
        members = [e for e in train + val + unlabeled if e.collection == collection]
        item = {"collection": collection, "features": sorted({rel(e.source) for e in members})}
        for name, group in (("train", train), ("val", val), ("unlabeled", unlabeled)):
            part = [e for e in group if e.collection == collection]
            if part:
                item[name] = describe(part)
        per_collection.append(item)
    summary = {"sets": per_collection, "train": describe(train), "val": describe(val)}
    if unlabeled:
        summary["unlabeled"] = describe(unlabeled)
    return summary


class FeatureStore:
    """The spectrograms of a list of examples: all in memory when they fit in `ram_gb`
    (after one read), else read from disk (memory-mapped) crop by crop."""

    def __init__(self, examples: list[Example], ram_gb: float):
        self.examples = examples
        total = sum(e.frames for e in examples) * BINS * 4
        self.arrays: list[np.ndarray] | None = None
        if total <= ram_gb * 2**30:
            self.arrays = [np.load(e.path) for e in examples]

    def crop(self, i: int, start: int, length: int) -> np.ndarray:
        """(105, length) float32 copy of example i from frame `start`."""
        array = self.arrays[i] if self.arrays is not None else np.load(self.examples[i].path, mmap_mode="r")
        return np.array(array[:, start:start + length], dtype=np.float32)


def shift_semitones(spec: np.ndarray, semitones: int) -> np.ndarray:
    """The spectrogram transposed by `semitones` (2 bins each); vacated bins get its minimum."""
    bins = semitones * BINS_PER_SEMITONE
    if bins == 0:
        return spec
    out = np.full_like(spec, spec.min())
    if bins > 0:
        out[bins:] = spec[:-bins]
    else:
        out[:bins] = spec[-bins:]
    return out


def transpose_label(label: int, semitones: int) -> int:
    """The class index of `label`'s key moved by `semitones` (same mode)."""
    return label if label < 0 else camelot.from_index(label).transposed(semitones).index


def plan_batches(frames: list[int], batch_size: int, rng: np.random.Generator, pool: int = 50) -> list[list[int]]:
    """Index batches covering every example once: random pools of `pool` batches are sorted by
    length and cut, so a batch's examples are about as long as each other; batch order random."""
    order = rng.permutation(len(frames))
    batches = []
    for p in range(0, len(order), batch_size * pool):
        chunk = sorted(order[p:p + batch_size * pool].tolist(), key=lambda i: frames[i])
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


COLUMN_FRAMES = 8  # input frames per column of KeyNet's last map (three 2×2 poolings)


def frame_labels(example: Example, start: int, length: int, margin: int) -> np.ndarray:
    """(length,) class of every frame of a crop: the example's label, or for an example with
    regions the region's, −1 within `margin` frames of a change (and outside every region)."""
    if not example.regions:
        return np.full(length, example.label, dtype=np.int64)
    frames = np.arange(start, start + length)
    out = np.full(length, -1, dtype=np.int64)
    boundaries = [first for first, _, _ in example.regions[1:]]
    for first, end, label in example.regions:
        out[(frames >= first) & (frames < end)] = label
    for boundary in boundaries:
        out[np.abs(frames - boundary) < margin] = -1
    return out


def column_targets(frame_classes: np.ndarray) -> np.ndarray:
    """(length // 8,) each column's class: its centre frame's (−1 = not scored)."""
    columns = len(frame_classes) // COLUMN_FRAMES
    return frame_classes[np.arange(columns) * COLUMN_FRAMES + COLUMN_FRAMES // 2]


def crop_key(frame_classes: np.ndarray) -> int:
    """The crop's track-level label: the one key all its frames hold, else −1 (a crop that
    spans a change or reaches into its unscored margin, or an unlabeled one)."""
    keys = set(frame_classes.tolist())
    return keys.pop() if len(keys) == 1 else -1


def transpose_labels(labels: np.ndarray, semitones: int) -> np.ndarray:
    return np.array([transpose_label(int(v), semitones) for v in labels], dtype=np.int64)


def make_batch(store: FeatureStore, indices: list[int], rng: np.random.Generator,
               crop_min: int, crop_max: int, shift: int, margin: int = 0,
               splice: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x (batch, 1, 105, L) float32 random crops of one length L, y (batch,) int64 labels
    (transposed with the crop; −1 for unlabeled examples and for crops that span a key
    change), each crop's shift in semitones, and (batch, L // 8) column labels (−1: unscored).

    With `splice`, that share of the labelled crops become synthetic modulations: frames from a
    random 25–75 % of L on are the same example at another shift, or (half the time) another
    example of the batch at its own shift; the columns within `margin` frames of the splice
    are unscored and y is −1."""
    examples = store.examples
    length = min(int(rng.integers(crop_min, crop_max + 1)), min(examples[i].frames for i in indices))
    x = np.empty((len(indices), 1, BINS, length), dtype=np.float32)
    y = np.empty(len(indices), dtype=np.int64)
    shifts = np.zeros(len(indices), dtype=np.int64)
    columns = np.empty((len(indices), length // COLUMN_FRAMES), dtype=np.int64)

    def piece(i: int, semitones: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
        start = int(rng.integers(0, examples[i].frames - frames + 1))
        spec = shift_semitones(store.crop(i, start, frames), semitones)
        classes = frame_labels(examples[i], start, frames, margin)
        return spec, (transpose_labels(classes, semitones) if examples[i].label >= 0 else classes)

    for k, i in enumerate(indices):
        shifts[k] = int(rng.integers(-shift, shift + 1)) if shift else 0
        if not (splice and examples[i].label >= 0 and rng.random() < splice):
            x[k, 0], classes = piece(i, int(shifts[k]), length)
        else:
            cut = int(rng.integers(length // 4, 3 * length // 4 + 1))
            other = i if rng.random() < 0.5 or len(indices) == 1 else int(rng.choice([j for j in indices if j != i]))
            second_shift = int(shifts[k])
            if other == i:  # the same music, moved by 1–6 semitones either way
                second_shift += int(rng.choice([-1, 1])) * int(rng.integers(1, 7))
            first, first_classes = piece(i, int(shifts[k]), cut)
            second, second_classes = piece(other, second_shift, length - cut)
            x[k, 0] = np.concatenate([first, second], axis=1)
            classes = np.concatenate([first_classes, second_classes])
            classes[max(0, cut - margin):cut + margin] = -1
        y[k] = crop_key(classes)
        columns[k] = column_targets(classes)
    return x, y, shifts, columns


def make_views(store: FeatureStore, indices: list[int], rng: np.random.Generator, length: int,
               first_shifts: np.ndarray, ssl_shift: int) -> tuple[np.ndarray, np.ndarray]:
    """The second views of a self-supervised batch: for each example, another crop of `length`
    frames of the same track, shifted by a random k of ±ssl_shift semitones relative to the
    first view (whose own shift is `first_shifts`). Returns x (batch, 1, 105, length) and k."""
    examples = store.examples
    x = np.empty((len(indices), 1, BINS, length), dtype=np.float32)
    k = rng.integers(-ssl_shift, ssl_shift + 1, len(indices)).astype(np.int64)
    for j, i in enumerate(indices):
        start = int(rng.integers(0, examples[i].frames - length + 1))
        x[j, 0] = shift_semitones(store.crop(i, start, length), int(first_shifts[j] + k[j]))
    return x, k


def rotation_table() -> np.ndarray:
    """(13, 24) int64: row k + 6 holds, for each class j, the class that j comes from when the
    music moves up k semitones (−6 ≤ k ≤ 6), so `logits[:, table[k + 6]]` is the rotated
    distribution. Minor and major keys move together."""
    return np.array([[camelot.from_index(j).transposed(-k).index for j in range(24)] for k in range(-6, 7)],
                    dtype=np.int64)


def transposition_loss(first, second, k, sharpen: float):
    """Symmetric self-supervised loss: the first view's logits rotated by k (per example)
    against the second view's, each side's target sharpened by `sharpen` and held fixed."""
    import torch
    import torch.nn.functional as F

    table = torch.from_numpy(rotation_table())
    rotated = torch.gather(first, 1, table[k + 6])

    def cross_entropy(target_logits, logits):
        target = F.softmax(target_logits.detach() / sharpen, dim=1)
        return -(target * F.log_softmax(logits, dim=1)).sum(1).mean()

    return 0.5 * (cross_entropy(rotated, second) + cross_entropy(second, rotated))


# ---------------------------------------------------------------------------------------
# Model helpers


def gmac(nf: int, frames: int = 1200) -> float:
    """Multiply-accumulates (10⁹) of one forward pass over `frames` frames (1200 = 4 min)."""
    height, width, total = BINS, frames, 0
    import keynet

    for _, cin, cout, k, pool in keynet.LAYERS:
        cin_ch = cin * nf if cin else 1
        cout_ch = cout * nf if cout else keynet.NUM_CLASSES
        total += height * width * cout_ch * cin_ch * k * k
        if pool:
            height, width = height // 2, width // 2
    return total / 1e9


def load_teacher(path: str):
    """An eval-mode KeyNet from a .safetensors (keyscan format) or a .pt state_dict."""
    import keynet

    if path.endswith(".safetensors"):
        model, _ = keynet.load_safetensors(path)
        return model
    import keynet_reference

    return keynet_reference.load_model(path)


def predict(model, store: FeatureStore, max_frames: int = 0, batch_size: int = 16) -> np.ndarray:
    """(n, 24) eval-mode logits of every example, each over its whole length (or its centre
    `max_frames`), batched by equal length."""
    import torch

    model.eval()
    examples = store.examples
    lengths = [min(e.frames, max_frames) if max_frames else e.frames for e in examples]
    out = np.zeros((len(examples), 24), dtype=np.float32)
    groups: dict[int, list[int]] = {}
    for i, length in enumerate(lengths):
        groups.setdefault(length, []).append(i)
    with torch.no_grad():
        for length, members in groups.items():
            for j in range(0, len(members), batch_size):
                chunk = members[j:j + batch_size]
                x = np.stack([store.crop(i, (examples[i].frames - length) // 2, length) for i in chunk])[:, None]
                out[chunk] = model(torch.from_numpy(x)).numpy()
    return out


def git_commit() -> str:
    """HEAD's commit, with "+dirty" when the work tree has changes ("unknown" outside git)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save_atomic(obj, path: Path) -> None:
    import torch

    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def learning_rate(step: int, total: int, warmup: int, peak: float) -> float:
    """Linear warm-up to `peak`, then cosine decay to 0 at `total` steps."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


# ---------------------------------------------------------------------------------------
# train


def resolve_config(args: argparse.Namespace, run: Path) -> dict:
    """DEFAULTS ← the run's config.json (with --resume) ← options given on the command line."""
    given = {k: v for k, v in vars(args).items() if k in DEFAULTS and v not in (None, [])}
    for key in ("data", "unlabeled", "real_val"):
        if key in given:
            given[key] = [str(Path(p).resolve()) for p in given[key]]
    for key in ("teacher", "reference", "init"):
        if given.get(key):
            given[key] = str(Path(given[key]).resolve())
    config_path = run / "config.json"
    if args.resume:
        if not config_path.is_file():
            raise SystemExit(f"train_keynet: --resume: {config_path} not found")
        saved = json.loads(config_path.read_text())
        conflicts = {k: (saved.get(k), v) for k, v in given.items()
                     if k not in RESUME_OVERRIDES and saved.get(k) != v}
        if conflicts:
            raise SystemExit("train_keynet: --resume cannot change " + ", ".join(
                f"{k} (run has {a!r}, given {b!r})" for k, (a, b) in conflicts.items())
                + f"; only {sorted(RESUME_OVERRIDES)} may change")
        return {**DEFAULTS, **saved, **given}
    if (run / "last.pt").exists():
        raise SystemExit(f"train_keynet: {run} already holds a run; add --resume to continue it, or use another --run")
    config = {**DEFAULTS, **given}
    if not config["data"]:
        raise SystemExit("train_keynet: give at least one features.tsv")
    return config


def check_config(config: dict) -> None:
    if not 1 <= config["crop_min"] <= config["crop_max"]:
        raise SystemExit("train_keynet: need 1 <= --crop-min <= --crop-max")
    if config["crop_min"] < MIN_FRAMES:
        raise SystemExit(f"train_keynet: --crop-min must be at least {MIN_FRAMES} frames")
    if not 0 <= config["shift"] <= 6:
        raise SystemExit("train_keynet: --shift must be 0–6 semitones")
    if config["unlabeled"] and not config["teacher"] and not config["ssl_weight"]:
        raise SystemExit("train_keynet: --unlabeled needs --teacher or --ssl-weight (unlabeled rows get no other term)")
    if config["real_val"] and not (config["reference"] or config["teacher"]):
        raise SystemExit("train_keynet: --real-val needs --reference or --teacher (the stand-in labels)")
    if not 0 <= config["ssl_shift"] <= 6:
        raise SystemExit("train_keynet: --ssl-shift must be 0–6 semitones")


def train(config: dict, run: Path, resume: bool, threads: int | None, ram_gb: float, log=print,
          stop_after: int = 0) -> dict:
    """Train (or go on training) the run in `run` with `config`; returns the best epoch's record.
    With stop_after, return after that many epochs (the run goes on with resume)."""
    import torch
    import torch.nn.functional as F

    import keynet

    if threads:
        torch.set_num_threads(threads)
    check_config(config)
    run.mkdir(parents=True, exist_ok=True)

    examples, warnings = [], []
    for tsv in config["data"]:
        rows, skipped = read_features_tsv(tsv)
        examples += rows
        warnings += skipped
    unlabeled = []
    for tsv in config["unlabeled"]:
        rows, skipped = read_features_tsv(tsv, labeled=False)
        unlabeled += rows
        warnings += skipped
    for warning in warnings[:20]:
        log(f"warning: {warning}")
    if len(warnings) > 20:
        log(f"warning: … and {len(warnings) - 20} more rows skipped")
    train_set, val_set, left_out = split_examples(examples, config["val_fraction"], config["seed"],
                                                  config["limit_songs"])
    if not train_set:
        raise SystemExit("train_keynet: no training rows")
    summary = data_summary(train_set, val_set, unlabeled)
    log(f"data: train {summary['train']}, val {summary['val']}"
        + (f", unlabeled {summary['unlabeled']}" if unlabeled else "")
        + (f"; {len(left_out)} rows of other sets left out" if left_out else ""))

    if not resume:
        config = dict(config, git_commit=git_commit(), started=datetime.datetime.now(datetime.timezone.utc)
                      .isoformat(timespec="seconds"))
        (run / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    torch.manual_seed(config["seed"])
    model = keynet.KeyNet(nf=config["nf"], p=config["dropout"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    state = {"epoch": 0, "step": 0, "best": None, "since_best": 0, "history": []}
    if resume:
        checkpoint = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
        if checkpoint.get("format") != CHECKPOINT_FORMAT:
            raise SystemExit(f"train_keynet: {run / 'last.pt'} is not a {CHECKPOINT_FORMAT} checkpoint")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        state = checkpoint["state"]
        log(f"resumed after epoch {state['epoch']} (step {state['step']})")
    elif config["init"]:
        start_from = load_teacher(config["init"])
        if start_from.nf != config["nf"]:
            raise SystemExit(f"train_keynet: --init {config['init']} has nf {start_from.nf}, the run nf {config['nf']}")
        model.load_state_dict(start_from.state_dict())
        log(f"initialised from {config['init']}")
    margin = round(config["boundary_margin"] * FRAMES_PER_SECOND)
    teacher = load_teacher(config["teacher"]) if config["teacher"] else None

    real_val = []
    for tsv in config["real_val"]:
        real_val += read_features_tsv(tsv, labeled=False)[0]
    real_val_store = FeatureStore(real_val, ram_gb) if real_val else None
    real_val_labels = None
    if real_val_store:
        # The reference's keys stand in for labels: agreement is what this measures, not accuracy.
        cached = run / "real_val_reference.npy"
        if cached.exists():
            real_val_labels = np.load(cached)
        else:
            reference = load_teacher(config["reference"] or config["teacher"])
            real_val_labels = predict(reference, real_val_store, REAL_VAL_FRAMES).argmax(1)
            np.save(cached, real_val_labels)
    train_store = FeatureStore(train_set, ram_gb)
    val_store = FeatureStore(val_set, ram_gb)
    unlabeled_store = FeatureStore(unlabeled, ram_gb) if unlabeled else None
    bs = config["batch_size"]
    repeat = config["unlabeled_repeat"]
    batches_per_epoch = math.ceil(len(train_set) / bs) + (math.ceil(repeat * len(unlabeled) / bs) if unlabeled else 0)
    total_steps = config["epochs"] * batches_per_epoch
    warmup_steps = round(config["warmup_epochs"] * batches_per_epoch)
    temperature = config["teacher_temperature"]
    log(f"KeyNet nf={config['nf']}: {sum(p.numel() for p in model.parameters()):,} parameters, "
        f"{gmac(config['nf']):.2f} GMAC per 4 min; {batches_per_epoch} batches per epoch")

    log_path = run / "log.tsv"
    if not log_path.exists():
        log_path.write_text("epoch\tloss\ttrain_acc\tval_exact\tval_mirex\tval_mirex_both\treal_agree\tssl_loss\tlr\tseconds\n")

    first_epoch = state["epoch"]
    while state["epoch"] < config["epochs"]:
        if stop_after and state["epoch"] - first_epoch >= stop_after:
            log(f"stopped after {stop_after} epochs as asked; continue with --resume")
            break
        if val_set and state["since_best"] >= config["patience"]:
            log(f"early stop: no better validation MIREX for {state['since_best']} epochs")
            break
        epoch = state["epoch"]
        start = time.perf_counter()
        rng = np.random.default_rng([config["seed"], epoch, 2])
        torch.manual_seed(config["seed"] * 1_000_003 + epoch)  # dropout masks
        plan = [(train_store, b) for b in plan_batches([e.frames for e in train_set], bs, rng)]
        if unlabeled_store:
            for _ in range(repeat):
                plan += [(unlabeled_store, b) for b in plan_batches([e.frames for e in unlabeled], bs, rng)]
            plan = [plan[i] for i in rng.permutation(len(plan))]
        model.train()
        loss_sum, loss_count, hits, labeled_count = 0.0, 0, 0, 0
        ssl_sum, ssl_count = 0.0, 0
        column_sum, column_count = 0.0, 0
        for store, indices in plan:
            x, y, shifts, column_y = make_batch(store, indices, rng, config["crop_min"], config["crop_max"],
                                                config["shift"], margin, config["splice"] if store is train_store else 0.0)
            views = None
            if store is unlabeled_store and config["ssl_weight"]:
                views = make_views(store, indices, rng, x.shape[3], shifts, config["ssl_shift"])
            x, y = torch.from_numpy(x), torch.from_numpy(y)
            lr = learning_rate(state["step"], total_steps, warmup_steps, config["lr"])
            for group in optimizer.param_groups:
                group["lr"] = lr
            columns = model.features(x)["conv9"].mean(2)  # (batch, 24, columns): what the timeline decodes
            logits = columns.mean(2)  # = model(x)
            loss = torch.zeros(())
            scored = torch.from_numpy(column_y)
            if config["column_weight"] and bool((scored >= 0).any()):
                flat = columns.permute(0, 2, 1).reshape(-1, columns.shape[1])
                column_loss = F.cross_entropy(flat, scored.reshape(-1), ignore_index=-1,
                                              label_smoothing=config["label_smoothing"])
                loss = loss + config["column_weight"] * column_loss
                column_sum += float(column_loss.detach()) * len(indices)
                column_count += len(indices)
            labeled = y >= 0
            if labeled.any():
                loss = loss + F.cross_entropy(logits[labeled], y[labeled], label_smoothing=config["label_smoothing"])
                hits += int((logits[labeled].argmax(1) == y[labeled]).sum())
                labeled_count += int(labeled.sum())
            if teacher is not None:
                with torch.no_grad():
                    target = F.log_softmax(teacher(x) / temperature, dim=1)
                kd = F.kl_div(F.log_softmax(logits / temperature, dim=1), target, log_target=True,
                              reduction="batchmean")
                share = config["teacher_labeled_share"] if store is train_store else 1.0
                loss = loss + share * config["teacher_weight"] * temperature ** 2 * kd
            if views is not None:
                second = model(torch.from_numpy(views[0]))
                ssl = transposition_loss(logits, second, torch.from_numpy(views[1]), config["ssl_sharpen"])
                loss = loss + config["ssl_weight"] * ssl
                ssl_sum += float(ssl.detach()) * len(indices)
                ssl_count += len(indices)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach()) * len(indices)
            loss_count += len(indices)
            state["step"] += 1

        record = {"epoch": epoch + 1, "loss": loss_sum / loss_count,
                  "train_acc": hits / labeled_count if labeled_count else None, "lr": lr,
                  "ssl_loss": ssl_sum / ssl_count if ssl_count else None,
                  "column_loss": column_sum / column_count if column_count else None}
        if val_set:
            scores = key_metrics.summarize_indices(predict(model, val_store, config["val_max_frames"]).argmax(1),
                                                   [e.label for e in val_set])
            record.update(val_exact=scores["exact"], val_mirex=scores["mirex"], val_mirex_both=scores["mirex_both"])
        if real_val_store:
            guesses = predict(model, real_val_store, REAL_VAL_FRAMES).argmax(1)
            record["real_agree"] = float(np.mean(guesses == real_val_labels))
        record["seconds"] = time.perf_counter() - start
        state["epoch"] = epoch + 1
        state["history"].append(record)
        # Without validation rows every epoch counts as the best (the last one is exported).
        improved = not val_set or state["best"] is None or record["val_mirex"] > state["best"]["val_mirex"]
        if improved:
            state["best"], state["since_best"] = record, 0
            save_atomic({"format": CHECKPOINT_FORMAT, "config": config, "data": summary, "record": record,
                         "model": model.state_dict()}, run / "best.pt")
        else:
            state["since_best"] += 1
        save_atomic({"format": CHECKPOINT_FORMAT, "config": config, "data": summary, "state": state,
                     "model": model.state_dict(), "optimizer": optimizer.state_dict()}, run / "last.pt")

        with open(log_path, "a") as f:
            f.write("\t".join([str(record["epoch"]), fmt(record["loss"]), fmt(record["train_acc"]),
                               fmt(record.get("val_exact")), fmt(record.get("val_mirex")),
                               fmt(record.get("val_mirex_both")), fmt(record.get("real_agree")),
                               fmt(record.get("ssl_loss")), fmt(lr, ".3e"), fmt(record["seconds"], ".1f")]) + "\n")
        log(f"epoch {record['epoch']:3d}/{config['epochs']}  loss {record['loss']:.4f}  "
            f"train acc {fmt(record['train_acc'], '.3f')}  val exact {fmt(record.get('val_exact'), '.3f')}  "
            f"MIREX {fmt(record.get('val_mirex'), '.3f')} (dom/sub {fmt(record.get('val_mirex_both'), '.3f')})  "
            f"real agree {fmt(record.get('real_agree'), '.3f')}  ssl {fmt(record.get('ssl_loss'), '.3f')}  "
            f"columns {fmt(record.get('column_loss'), '.3f')}  "
            f"lr {lr:.2e}  {record['seconds']:.1f} s" + ("  *best" if improved else ""))
    log(f"best: epoch {state['best']['epoch']}, val MIREX {fmt(state['best'].get('val_mirex'), '.4f')}, "
        f"exact {fmt(state['best'].get('val_exact'), '.4f')} → {run / 'best.pt'}")
    return state["best"]


def fmt(value, spec=".4f") -> str:
    return "-" if value is None else format(value, spec)


# ---------------------------------------------------------------------------------------
# export


def load_checkpoint(path: Path):
    """An eval-mode KeyNet from a training checkpoint (best.pt or last.pt), the checkpoint, and
    the record of the epoch it holds."""
    import torch

    import keynet

    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise SystemExit(f"train_keynet: {path} is not a {CHECKPOINT_FORMAT} checkpoint")
    model = keynet.KeyNet(nf=checkpoint["config"]["nf"])
    model.load_state_dict(checkpoint["model"])
    model.eval()
    return model, checkpoint, checkpoint.get("record") or checkpoint["state"]["history"][-1]


def export(run: Path | None, checkpoint_path: Path | None, out: Path, name: str, version: str,
           description: str | None, max_mb: float, front_end: str = "fast") -> dict[str, str]:
    """Write the checkpoint's model as keyscan safetensors; returns the metadata written."""
    import torch

    import keynet

    model, checkpoint, record = load_checkpoint(checkpoint_path or run / "best.pt")
    config, data = checkpoint["config"], checkpoint["data"]
    hours = data["train"]["hours"] + data["val"]["hours"]
    unlabeled = data.get("unlabeled")
    if description is None:
        learned = []
        if unlabeled:
            learned.append(f"{unlabeled['hours']:.1f} h of unlabelled real recordings ({unlabeled['examples']} tracks)")
        if config.get("teacher"):
            learned.append(f"distilled from {Path(config['teacher']).name}")
        if config.get("ssl_weight"):
            learned.append("self-supervised by transposition")
        description = (f"KeyNet (Korzeniowski & Widmer 2018), nf={config['nf']}, trained by tools/training/train_keynet.py "
                       f"on {hours:.1f} h of rendered MIDI ({data['train']['examples']} training excerpts from "
                       f"{data['train']['songs']} songs){''.join('; ' + part for part in learned)}; "
                       f"validation exact {fmt(record.get('val_exact'), '.3f')}, MIREX {fmt(record.get('val_mirex'), '.3f')}")
    semi_supervised = {k: config.get(k) for k in ("teacher_temperature", "teacher_labeled_share", "unlabeled_repeat",
                                                  "ssl_weight", "ssl_shift", "ssl_sharpen")} if unlabeled else {}
    metadata = {
        "name": name,
        "version": version,
        "description": description,
        "training_data": json.dumps(data, separators=(",", ":")),
        "training": json.dumps({"epoch": record["epoch"], "val_exact": record.get("val_exact"),
                                "val_mirex": record.get("val_mirex"), "val_mirex_both": record.get("val_mirex_both"),
                                **{k: config[k] for k in ("epochs", "batch_size", "lr", "weight_decay", "dropout",
                                                          "crop_min", "crop_max", "shift", "label_smoothing", "seed")},
                                "teacher": Path(config["teacher"]).name if config.get("teacher") else None,
                                "teacher_weight": config["teacher_weight"] if config.get("teacher") else None,
                                **semi_supervised,
                                **({k: config.get(k) for k in ("column_weight", "boundary_margin", "splice")}
                                   if config.get("column_weight") else {}),
                                **({"init": Path(config["init"]).name} if config.get("init") else {})},
                               separators=(",", ":")),
        "date": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "git_commit": config.get("git_commit", "unknown"),
        "front_end": front_end,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    keynet.save_safetensors(model, str(out), metadata)

    # Read it back as keyscan's loader would see it, and compare logits on a seeded input.
    reloaded, written = keynet.load_safetensors(str(out))
    x = torch.randn(1, 1, BINS, 300, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        difference = float((reloaded(x) - model(x)).abs().max())
    if difference != 0.0:
        raise SystemExit(f"train_keynet: {out} does not reproduce the checkpoint's logits (max diff {difference})")
    size_mb = out.stat().st_size / 1e6
    if size_mb > max_mb:
        raise SystemExit(f"train_keynet: {out} is {size_mb:.2f} MB, over the {max_mb} MB limit")
    return written


# ---------------------------------------------------------------------------------------
# time


def time_training(nf: int, batches: int, batch_size: int, crop_min: int, crop_max: int, seed: int = 0) -> dict:
    """Seconds per training epoch of 1000 examples (random inputs, crops as in training), and
    per 1000 validation forwards of 150 frames (30 s excerpts)."""
    import torch
    import torch.nn.functional as F

    import keynet

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = keynet.KeyNet(nf=nf, p=0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step(length: int) -> None:
        x = torch.from_numpy(rng.random((batch_size, 1, BINS, length), dtype=np.float32))
        y = torch.from_numpy(rng.integers(0, 24, batch_size))
        loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.train()
    step(crop_max)  # warm-up: allocator, thread pool
    lengths = rng.integers(crop_min, crop_max + 1, batches)
    start = time.perf_counter()
    for length in lengths:
        step(int(length))
    train_seconds = (time.perf_counter() - start) / (batches * batch_size) * 1000
    model.eval()
    x = torch.from_numpy(rng.random((batch_size, 1, BINS, 150), dtype=np.float32))
    with torch.no_grad():
        model(x)
        start = time.perf_counter()
        for _ in range(max(1, batches // 4)):
            model(x)
    val_seconds = (time.perf_counter() - start) / (max(1, batches // 4) * batch_size) * 1000
    return {"train_s_per_1000": train_seconds, "val_s_per_1000_30s": val_seconds}


def time_engine(nf: int, keyscan: str, audio: str, repeats: int = 3) -> float:
    """The engine's `model` stage in seconds for `audio` on one core (best of `repeats`), with
    a randomly initialised KeyNet of width nf (the cost does not depend on the weights)."""
    import torch

    import keynet

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"nf{nf}.safetensors"
        keynet.save_safetensors(keynet.KeyNet(nf=nf).eval(), str(path), {"name": "timing", "version": "0"})
        best = math.inf
        for _ in range(repeats):
            result = subprocess.run([keyscan, "analyze", "--jobs", "1", "--model", str(path), audio],
                                    capture_output=True, text=True, env=dict(os.environ, PROFILE_PERFORMANCE="1"))
            if result.returncode != 0:
                raise SystemExit(f"train_keynet: keyscan failed: {result.stderr.strip()}")
            match = re.search(r"^\s*model\s+([0-9.]+) s", result.stderr, re.MULTILINE)
            if not match:
                raise SystemExit(f"train_keynet: no model stage in keyscan's profile:\n{result.stderr}")
            best = min(best, float(match.group(1)))
    return best


# ---------------------------------------------------------------------------------------
# command line


def add_training_options(p: argparse.ArgumentParser) -> None:
    """Options of `train` and `sweep`; default None = "not given" (see resolve_config)."""
    d = DEFAULTS
    p.add_argument("--nf", type=int, help=f"network width (default {d['nf']}; the reference has 20)")
    p.add_argument("--dropout", type=float, help=f"Dropout2d probability in training (default {d['dropout']})")
    p.add_argument("--epochs", type=int, help=f"epochs (default {d['epochs']})")
    p.add_argument("--batch-size", type=int, help=f"examples per batch (default {d['batch_size']})")
    p.add_argument("--lr", type=float, help=f"peak AdamW learning rate (default {d['lr']})")
    p.add_argument("--weight-decay", type=float, help=f"AdamW weight decay (default {d['weight_decay']})")
    p.add_argument("--warmup-epochs", type=float, help=f"linear warm-up before the cosine decay (default {d['warmup_epochs']})")
    p.add_argument("--crop-min", type=int, help=f"shortest training crop in frames, 5 per second (default {d['crop_min']})")
    p.add_argument("--crop-max", type=int, help=f"longest training crop in frames (default {d['crop_max']})")
    p.add_argument("--shift", type=int, help=f"random pitch shift of up to ±K semitones, 0 = off (default {d['shift']})")
    p.add_argument("--label-smoothing", type=float, help=f"cross-entropy label smoothing (default {d['label_smoothing']})")
    p.add_argument("--val-fraction", type=float,
                   help=f"share of training songs held out when no row is in set val or validation (default {d['val_fraction']})")
    p.add_argument("--val-max-frames", type=int, help="validate on each excerpt's centre N frames (default 0: whole)")
    p.add_argument("--limit-songs", type=int, help="train on this many songs only, drawn by seed (default 0: all)")
    p.add_argument("--patience", type=int, help=f"early stop after N epochs without a better val MIREX (default {d['patience']})")
    p.add_argument("--seed", type=int, help=f"seed of the split, crops, shifts, order and init (default {d['seed']})")
    p.add_argument("--teacher", help="distil from this KeyNet (.pt state_dict or .safetensors); off by default")
    p.add_argument("--teacher-weight", type=float, help=f"weight of the distillation term (default {d['teacher_weight']})")
    p.add_argument("--teacher-temperature", type=float, help=f"softening temperature T (default {d['teacher_temperature']})")
    p.add_argument("--unlabeled", nargs="+", metavar="TSV",
                   help="features.tsv of unlabeled rows (real recordings) for distillation and self-supervision")
    p.add_argument("--real-val", nargs="+", metavar="TSV",
                   help="features.tsv of real validation tracks: each epoch logs the share whose key agrees with "
                        "--reference (or the teacher); not used to train or to pick the best epoch")
    p.add_argument("--reference", help="the model whose keys stand in for labels on --real-val (default: --teacher)")
    p.add_argument("--teacher-labeled-share", type=float, help=f"share of the distillation weight on labelled "
                   f"batches (default {d['teacher_labeled_share']})")
    p.add_argument("--unlabeled-repeat", type=int, help=f"crops of each unlabeled track per epoch "
                   f"(default {d['unlabeled_repeat']})")
    p.add_argument("--ssl-weight", type=float, help=f"weight of the transposition self-supervision term on unlabeled "
                   f"batches, 0 = off (default {d['ssl_weight']})")
    p.add_argument("--ssl-shift", type=int, help=f"second views shifted by up to ±K semitones (default {d['ssl_shift']})")
    p.add_argument("--ssl-sharpen", type=float, help=f"temperature of the self-supervised targets (default {d['ssl_sharpen']})")
    p.add_argument("--init", help="start from these weights (.safetensors or .pt state_dict; fine-tuning)")
    p.add_argument("--column-weight", type=float, help=f"weight of the per-column cross-entropy against the local "
                   f"key, 0 = off (default {d['column_weight']})")
    p.add_argument("--boundary-margin", type=float, help=f"columns this close to a key change (seconds) are not "
                   f"scored (default {d['boundary_margin']})")
    p.add_argument("--splice", type=float, help=f"share of labelled crops made synthetic modulations (default "
                   f"{d['splice']})")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's, all cores)")
    p.add_argument("--ram-gb", type=float, default=8.0, help="load features into memory up to this size, else read from disk (default 8)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train a run (resumable)", description=(
        "Train KeyNet on features.tsv files; checkpoint every epoch to --run DIR (last.pt with optimizer "
        "state, best.pt, log.tsv, config.json). --resume continues DIR with its stored options "
        "(only --epochs and --patience may change)."))
    p.add_argument("data", nargs="*", metavar="TSV", help="features.tsv files (columns: npy path, class index, song, set)")
    p.add_argument("--run", required=True, type=Path, help="run folder (created)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run from last.pt")
    p.add_argument("--stop-after", type=int, default=0, metavar="N",
                   help="return after N epochs of this invocation, to go on later with --resume")
    add_training_options(p)

    p = commands.add_parser("export", help="best checkpoint → keyscan safetensors", description=(
        "Write a run's best (or given) checkpoint in keyscan's weights format with metadata, read it "
        "back and check it reproduces the checkpoint's logits and fits --max-mb."))
    p.add_argument("--run", type=Path, help="run folder (uses its best.pt)")
    p.add_argument("--checkpoint", type=Path, help="a checkpoint file instead (best.pt or last.pt)")
    p.add_argument("--out", required=True, type=Path, help="output .safetensors, e.g. Weights/keyscan.safetensors")
    p.add_argument("--name", default="keyscan", help="model name in the metadata (default keyscan)")
    p.add_argument("--version", required=True, help="model version in the metadata, e.g. 1.0.0")
    p.add_argument("--description", help="metadata description (default: architecture, data and val scores)")
    p.add_argument("--max-mb", type=float, default=5.0, help="refuse a file larger than this (default 5)")
    p.add_argument("--front-end", choices=["fast", "exact"], default="fast",
                   help="the front end whose features it was trained on: `keyscan features` gives the fast one, "
                        "`--exact` the exact one (default fast)")

    p = commands.add_parser("sweep", help="compare widths on a small subset", description=(
        "Train one short run per --nf under --root/nfN (resumable: finished runs are reused) and print a "
        "table of size, cost and best validation scores per width. Other options as for train; "
        "defaults here: --epochs 6, --limit-songs 200."))
    p.add_argument("data", nargs="+", metavar="TSV")
    p.add_argument("--root", required=True, type=Path, help="folder for the runs")
    p.add_argument("--widths", "--nfs", dest="widths", type=int, nargs="+", default=[8, 12, 16, 20],
                   help="widths to compare (default 8 12 16 20)")
    add_training_options(p)

    p = commands.add_parser("time", help="seconds per epoch of 1000 examples, per width", description=(
        "Time training steps on random inputs (crops drawn as in training) and report seconds per epoch "
        "of 1000 examples for each width, with parameters, file size and GMAC per 4 minutes. With "
        "--keyscan and --audio, also the engine's model stage on one core with a KeyNet of that width."))
    p.add_argument("--nf", type=int, nargs="+", default=[8, 12, 16, 20], help="widths (default 8 12 16 20)")
    p.add_argument("--batches", type=int, default=8, help="timed batches per width (default 8)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--crop-min", type=int, default=DEFAULTS["crop_min"])
    p.add_argument("--crop-max", type=int, default=DEFAULTS["crop_max"])
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's, all cores)")
    p.add_argument("--keyscan", help="keyscan binary, to time the engine's model stage")
    p.add_argument("--audio", help="audio file for the engine timing (e.g. a 4-minute track)")

    args = parser.parse_args()

    if args.command == "train":
        args.data = args.data or None
        config = resolve_config(args, args.run)
        train(config, args.run, args.resume, args.threads, args.ram_gb, log=lambda s: print(s, flush=True),
              stop_after=args.stop_after)
        return 0

    if args.command == "export":
        if not args.run and not args.checkpoint:
            parser.error("export needs --run or --checkpoint")
        meta = export(args.run, args.checkpoint, args.out, args.name, args.version, args.description, args.max_mb,
                      args.front_end)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB); read back, logits identical")
        print(json.dumps(meta, indent=2))
        return 0

    if args.command == "sweep":
        rows = []
        for nf in args.widths:
            run = args.root / f"nf{nf}"
            ns = argparse.Namespace(**vars(args))
            ns.nf, ns.resume = nf, (run / "last.pt").exists()
            ns.epochs = args.epochs or 6
            ns.limit_songs = args.limit_songs if args.limit_songs is not None else 200
            print(f"== nf {nf} → {run}", flush=True)
            config = resolve_config(ns, run)
            best = train(config, run, ns.resume, args.threads, args.ram_gb, log=lambda s: print("  " + s, flush=True))
            history = torch_load_history(run)
            seconds = sum(h["seconds"] for h in history) / len(history)
            rows.append((nf, best, seconds, config))
        print("\n| nf | stored values | MB | GMAC / 4 min | s / epoch | best epoch | val exact | val MIREX | val MIREX (dom/sub) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for nf, best, seconds, _ in rows:
            params = parameter_count(nf)
            print(f"| {nf} | {params:,} | {params * 4 / 1e6:.2f} | {gmac(nf):.2f} | {seconds:.1f} | {best['epoch']} | "
                  f"{fmt(best.get('val_exact'), '.3f')} | {fmt(best.get('val_mirex'), '.3f')} | "
                  f"{fmt(best.get('val_mirex_both'), '.3f')} |")
        return 0

    if args.command == "time":
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        if bool(args.keyscan) != bool(args.audio):
            parser.error("--keyscan and --audio go together")
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
              f"crops {args.crop_min}–{args.crop_max} frames, {args.batches} timed batches per width")
        header = "| nf | stored values | MB | GMAC / 4 min | train s / 1000 examples | val s / 1000 × 30 s |"
        line = "|---:|---:|---:|---:|---:|---:|"
        if args.keyscan:
            header += " engine model stage (1 core) |"
            line += "---:|"
        print(header)
        print(line)
        for nf in args.nf:
            t = time_training(nf, args.batches, args.batch_size, args.crop_min, args.crop_max)
            params = parameter_count(nf)
            row = (f"| {nf} | {params:,} | {params * 4 / 1e6:.2f} | {gmac(nf):.2f} | {t['train_s_per_1000']:.0f} | "
                   f"{t['val_s_per_1000_30s']:.1f} |")
            if args.keyscan:
                row += f" {time_engine(nf, args.keyscan, args.audio) * 1000:.0f} ms |"
            print(row, flush=True)
        return 0
    return 2


def parameter_count(nf: int) -> int:
    """Float32 values in the weights file: conv weights plus BN weight, bias, mean, variance."""
    import keynet

    total = 0
    for _, cin, cout, k, _ in keynet.LAYERS:
        cin_ch = cin * nf if cin else 1
        cout_ch = cout * nf if cout else keynet.NUM_CLASSES
        total += cout_ch * cin_ch * k * k + 4 * cout_ch
    return total


def torch_load_history(run: Path) -> list[dict]:
    import torch

    return torch.load(run / "last.pt", map_location="cpu", weights_only=False)["state"]["history"]


if __name__ == "__main__":
    sys.exit(main())
