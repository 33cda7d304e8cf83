#!/usr/bin/env python3
"""Write the golden constant-Q fixtures that KeyscanCQTTests compare against.

Each fixture is a signal *recipe* (tones and deterministic noise, which the Swift test
synthesises identically) and the spectrogram librosa computes for it, exactly as the
reference pipeline does:

    log1p(abs(librosa.cqt(y, sr=44100, hop_length=8820, fmin=65, n_bins=105, bins_per_octave=24)))

Run once with librosa installed (tools/requirements.txt); the output is small and committed:

    .venv/bin/python tools/make_cqt_fixture.py [--out Tests/KeyscanCQTTests/Fixtures]
"""
import argparse
import json
from pathlib import Path

import librosa
import numpy as np

SR, HOP, FMIN, BINS, BPO = 44100, 8820, 65.0, 105, 24


def lcg_noise(count: int, seed: int) -> np.ndarray:
    """Uniform noise in [-1, 1) from a 32-bit LCG the Swift test reproduces bit for bit."""
    out = np.empty(count, dtype=np.float64)
    x = seed & 0xFFFFFFFF
    for i in range(count):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = x / 2.0**32 * 2.0 - 1.0
    return out


def synthesise(recipe: dict) -> np.ndarray:
    """float32 samples of a recipe: Σ amp·sin(2π·freq·t + phase) over [start, end) plus noise."""
    n = recipe["length"]
    t = np.arange(n, dtype=np.float64) / SR
    y = np.zeros(n, dtype=np.float64)
    for tone in recipe["tones"]:
        a, b = int(tone["start"] * SR), min(n, int(tone["end"] * SR))
        y[a:b] += tone["amp"] * np.sin(2 * np.pi * tone["freq"] * t[a:b] + tone["phase"])
    if recipe.get("noise"):
        y += recipe["noise"]["amp"] * lcg_noise(n, recipe["noise"]["seed"])
    return y.astype(np.float32)


def recipes() -> dict:
    a_minor = [220.0, 261.63, 329.63, 110.0, 65.41 * 1.5]
    chord = [dict(freq=f, amp=0.2, phase=0.3 * i, start=0.0, end=9.0) for i, f in enumerate(a_minor)]
    sweep = [dict(freq=66.0 * 2 ** (k / 4), amp=0.05, phase=0.0, start=0.25 * k, end=0.25 * k + 0.6)
             for k in range(17)]
    return {
        # A minor triad with a bass, tones across the octaves, light noise, a length that
        # is not a multiple of the hop (the last frames see the centre padding).
        "chord": dict(length=int(6.37 * SR), tones=chord + sweep, noise=dict(amp=0.01, seed=7)),
        # Shorter than the longest kernel (8192 samples at 11025 Hz = 0.74 s): every frame padded.
        "short": dict(length=int(0.5 * SR), tones=chord[:3], noise=dict(amp=0.02, seed=11)),
        # Pure noise: every bin's kernel matters, including its sparsified tail.
        "noise": dict(length=int(3.1 * SR) + 17, tones=[], noise=dict(amp=0.3, seed=1234)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "Tests/KeyscanCQTTests/Fixtures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, recipe in recipes().items():
        y = synthesise(recipe)
        c = librosa.cqt(y, sr=SR, hop_length=HOP, fmin=FMIN, n_bins=BINS, bins_per_octave=BPO)
        spec = np.log1p(np.abs(c)).astype(np.float32)
        doc = dict(recipe=recipe, sample_rate=SR, librosa=librosa.__version__,
                   bins=spec.shape[0], frames=spec.shape[1],
                   values=[round(float(v), 7) for v in spec.reshape(-1)])  # (bins, frames) row-major
        (args.out / f"cqt-{name}.json").write_text(json.dumps(doc, separators=(",", ":")))
        print(f"{name}: {len(y)} samples -> {spec.shape}, max {spec.max():.3f}")


if __name__ == "__main__":
    main()
