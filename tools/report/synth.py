"""Audio with known keys for the report's browser test: the cadences of
Tests/KeyscanCLITests/TestAudio.swift (I–IV–V–I, one chord a second, six decaying harmonics,
the root an octave below), written as 16-bit mono WAV."""
import wave

import numpy as np

RATE = 44100


def cadence(tonic, minor, seconds, cents=0.0):
    """`tonic` pitch class (0 = C) major or minor, every pitch `cents` off A = 440 Hz."""
    third = 3 if minor else 4
    chords = [[0, third, 7], [5, 5 + third, 12], [7, 11, 14], [0, third, 7]]
    total = int(seconds * RATE)
    out = np.zeros(total)
    t = np.arange(RATE) / RATE
    envelope = np.exp(-2.5 * t)
    for c, start in enumerate(range(0, total, RATE)):
        chord = chords[c % len(chords)]
        count = min(RATE, total - start)
        for note in [48 + tonic + i for i in chord] + [36 + tonic + chord[0]]:
            f = 440 * 2 ** ((note - 69 + cents / 100) / 12)
            for h in range(1, 7):
                out[start:start + count] += (0.08 / h ** 2) * envelope[:count] * np.sin(2 * np.pi * f * h * t[:count])
    return out


def write_wav(path, samples):
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data)
