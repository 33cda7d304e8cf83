"""The reference key pipeline, exactly as openkeyscan-analyzer runs it, for checking keyscan.

Per file: `librosa.load(path, sr=44100, mono=True)` → `librosa.cqt(hop 8820, 105 bins,
24 per octave, fmin 65 Hz)` → `log1p(abs(C))` with the last two frames dropped (openkeyscan
does) → KeyNet (tools/common/keynet.py, PyTorch, eval mode) on the whole track → softmax → Camelot order
(index i < 12 is (i+1)A, else (i-11)B). The checkpoint is read from ../shared/reference and is
never copied into the project.

    keynet_reference.py [--workers N] [--model PATH] PATHS...

Files or folders (searched recursively for audio files). Prints one JSON object per line,
sorted by path: {"path", "status", "camelot", "key", "probability", "seconds", "duration"},
where "seconds" is the wall time spent on that file (load + CQT + network) and "duration" the
decoded audio length in seconds. A file that fails gives {"path", "status": "error", "error"}
and the exit status is 2.
With --workers N a pool of N processes each loads torch and the model once and runs with one
thread, like openkeyscan-analyzer's server with N workers; N processes use N cores.

Importable: `load_model(path)`; `features(path)` → (log-CQT (105, T) float32, audio seconds);
`logits(model, spec)` → (24,); `analyze(path, model)` → `Analysis(features, logits, duration)`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np  # imported lazily at run time: --help and benchmark.py stay light

TOOLS = Path(__file__).resolve().parents[1]
SHARED = TOOLS.parents[1] / "shared"
DEFAULT_MODEL = SHARED / "reference" / "keynet.pt"

# openkeyscan-analyzer's SUPPORTED_FORMATS plus the usual aliases.
AUDIO_EXTENSIONS = {".mp3", ".mp4", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".aiff", ".aif", ".au", ".opus"}

SAMPLE_RATE = 44100
HOP_LENGTH = 8820  # 5 frames per second
N_BINS = 105  # 4.375 octaves at 24 bins per octave from 65 Hz
BINS_PER_OCTAVE = 24
FMIN = 65.0

import camelot  # noqa: E402


class Analysis(NamedTuple):
    """What the reference computes for one file."""

    features: "np.ndarray"  # (105, T) float32 log1p|CQT|, last two frames dropped
    logits: "np.ndarray"  # (24,) float32, Camelot order
    duration: float  # seconds of decoded audio


def load_model(path: Path | str = DEFAULT_MODEL):
    """KeyNet in eval mode with the checkpoint's weights (strict: every name and shape must match)."""
    import torch

    import keynet  # tools/common/keynet.py: openkeyscan's KeyNet, same state_dict names

    state = torch.load(str(path), map_location="cpu", weights_only=True)
    model = keynet.KeyNet(nf=keynet.infer_nf(state))  # 20 for keynet.pt
    model.load_state_dict(state, strict=True)
    return model.eval()


def features(path: Path | str) -> tuple["np.ndarray", float]:
    """openkeyscan's input features for one file: log1p|CQT| (105, T) float32 and the audio seconds."""
    import librosa
    import numpy as np

    y, _ = librosa.load(str(path), sr=SAMPLE_RATE, mono=True)
    cqt = librosa.cqt(y, sr=SAMPLE_RATE, hop_length=HOP_LENGTH, n_bins=N_BINS,
                      bins_per_octave=BINS_PER_OCTAVE, fmin=FMIN)
    spec = np.log1p(np.abs(cqt))[:, :-2]  # openkeyscan drops the last two frames
    return np.ascontiguousarray(spec, dtype=np.float32), len(y) / SAMPLE_RATE


def logits(model, spec: "np.ndarray") -> "np.ndarray":
    """KeyNet's 24 logits (Camelot order) for a (105, T) log-CQT, the whole track at once."""
    import torch

    with torch.no_grad():
        x = torch.from_numpy(spec)[None, None]  # (1, 1, 105, T)
        return model(x)[0].numpy()


def analyze(path: Path | str, model) -> Analysis:
    """Features and logits of one file, as the reference computes them."""
    spec, duration = features(path)
    return Analysis(spec, logits(model, spec), duration)


def result(path: str, model) -> dict:
    """One JSON-ready result line for `path` (never raises for a bad file)."""
    start = time.perf_counter()
    try:
        analysis = analyze(path, model)
    except Exception as error:  # report and go on, like the server
        return {"path": path, "status": "error", "error": f"{type(error).__name__}: {error}"}
    import numpy as np

    z = analysis.logits.astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    index = int(np.argmax(p))
    key = camelot.from_index(index)
    return {"path": path, "status": "ok", "camelot": key.camelot, "key": key.name,
            "probability": round(float(p[index]), 6), "seconds": round(time.perf_counter() - start, 3),
            "duration": round(analysis.duration, 3)}


def audio_files(paths: list[str]) -> list[str]:
    """Absolute paths of the audio files named or found (recursively) in folders, sorted."""
    found = set()
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found.update(str(f.absolute()) for f in p.rglob("*")
                         if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)
        else:
            found.add(str(p.absolute()))  # named explicitly: analyze (or report) whatever it is
    return sorted(found)


_worker_model = None


def _init_worker(model_path: str) -> None:
    global _worker_model
    import torch

    torch.set_num_threads(1)
    _worker_model = load_model(model_path)


def _run_one(path: str) -> dict:
    return result(path, _worker_model)


def _single_thread_environment() -> None:
    # One core per worker: set before numpy/torch load their BLAS and OpenMP pools.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[name] = "1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders (recursive)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes, one thread each (default 1)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help=f"KeyNet state_dict (default {DEFAULT_MODEL})")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not Path(args.model).is_file():
        parser.error(f"model not found: {args.model}")

    files = audio_files(args.paths)
    if not files:
        print("no audio files found", file=sys.stderr)
        return 1
    _single_thread_environment()
    if args.workers == 1:
        _init_worker(args.model)
        results = [_run_one(f) for f in files]
    else:
        import multiprocessing

        # spawn: each worker imports torch itself, as a fresh server process would.
        context = multiprocessing.get_context("spawn")
        with context.Pool(min(args.workers, len(files)), _init_worker, (args.model,)) as pool:
            results = list(pool.imap_unordered(_run_one, files, chunksize=1))
            pool.close()  # let workers exit by themselves, so their CPU time is accounted to us
            pool.join()
    for line in sorted(results, key=lambda r: r["path"]):
        print(json.dumps(line))
    return 0 if all(r["status"] == "ok" for r in results) else 2


if __name__ == "__main__":
    sys.exit(main())
