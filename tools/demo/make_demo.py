#!/usr/bin/env python3
"""Make tools/demo/: short chord progressions in known keys, in several containers, plus
one file that is not audio, for the README's first command to analyze.

Needs only the Python standard library, sox and ffmpeg. The output is committed (a few
hundred KB); rerun only to change it:

    python3 tools/demo/make_demo.py [--out tools/demo]
"""
import argparse
import subprocess
import tempfile
from pathlib import Path

NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def note(midi: int) -> str:
    """sox note name for a MIDI number (sox's A4 is MIDI 69)."""
    return f"{NAMES[midi % 12]}{midi // 12 - 1}"


def progression(tonic: int, minor: bool) -> list[list[int]]:
    """i–VI–iv–V–i in minor, I–vi–IV–V–I in major: triads as semitones above the tonic."""
    if minor:
        return [[0, 3, 7], [8, 12, 15], [5, 8, 12], [7, 11, 14], [0, 3, 7]]
    return [[0, 4, 7], [9, 12, 16], [5, 9, 12], [7, 11, 14], [0, 4, 7]]


def render(tonic: int, minor: bool, wav: Path) -> None:
    """Plucked chords with a bass note, 1.6 s each, the progression played twice."""
    base = 48 + tonic  # around C3
    segments = []
    for chord in progression(tonic, minor) * 2:
        tones = [note(base + s) for s in chord] + [note(base - 12 + chord[0])]
        segments += ["synth", "1.6"] + [f for t in tones for f in ("pluck", t)] + ["remix", "-", ":"]
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "1", str(wav)] + segments[:-1] + ["gain", "-n", "-3"], check=True)


DEMO = [  # file, tonic pitch class, minor?, ffmpeg codec arguments
    ("a-minor.mp3", 9, True, ["-c:a", "libmp3lame", "-b:a", "96k"]),
    ("c-major.ogg", 0, False, ["-c:a", "libvorbis", "-q:a", "2"]),
    ("f-sharp-minor.m4a", 6, True, ["-c:a", "aac", "-b:a", "96k"]),
    ("e-flat-major.flac", 3, False, ["-c:a", "flac", "-ar", "22050"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, tonic, minor, codec in DEMO:
            wav = Path(tmp) / "x.wav"
            render(tonic, minor, wav)
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *codec, str(args.out / name)], check=True)
            print(args.out / name)
    (args.out / "notes.mp3").write_text("These are not audio: keyscan reports an error for this file and goes on.\n")
    print(args.out / "notes.mp3")


if __name__ == "__main__":
    main()
