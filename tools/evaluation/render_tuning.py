"""Render the tuning evaluation set: held-out music detuned by known offsets.

    render_tuning.py --out DIR [--seconds S] [--cents -50,-40,...,50] [--real N]
                     [--real-cents -45,...,45] [--seed S]

1. Rendered: 30-second excerpts of six single-key held-out POP909 songs (001-160), one per
   instrument (every part on one General MIDI program of the held-out
   side: Bright Acoustic Piano, Electric Piano 2, Percussive Organ, Steel Guitar, String
   Ensemble 2; plus the song's own held-out arrangement as render_timeline.py draws it), with
   every pitch bent by each offset in --cents (MIDI pitch bend, as the training augmentation
   detunes; drums untouched), MuseScore_General_Full (the held-out soundfont). File names
   `pNNN-INSTRUMENT-c+30.mp3`.
2. Real: N recordings from the allowed Debian packages (music the model may meet only for
   evaluation), a 60 s excerpt each, and copies resampled by the ratio 2^(c/1200) for each
   offset (ffmpeg asetrate + aresample: pitch and tempo up by c cents, as a sped-up vinyl rip).
   Their own tuning is unknown, so tuning.py scores the change against the unshifted copy.
   `real-NN-c+30.flac`.

Writes tuning.tsv: file, kind (render|real), instrument, cents (the applied offset), source,
key (camelot; renders only). Resumable: files already listed are skipped.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
sys.path.insert(0, str(TOOLS / "data"))  # and the data tools' renderers, labels and split
import audio_chain  # noqa: E402
import camelot  # noqa: E402
import render_pop909 as pop  # noqa: E402
import render_training as rt  # noqa: E402
import splits  # noqa: E402

INSTRUMENTS = {"piano": 1, "epiano": 5, "organ": 17, "guitar": 25, "strings": 49, "band": None}
REAL_PACKAGES = ["singularity-music", "drascula-music", "asc-music", "planetblupi-music-ogg", "supertux-data",
                 "flare-game", "boswars-data", "pushover-data"]


def render_excerpt(song_number: int, instrument: str, cents: float, seconds: float, seed: int, out: Path) -> dict:
    import pretty_midi

    side = splits.HELDOUT
    rng = random.Random(f"{seed}:tuning:{song_number}")
    programs = rt.draw_programs(side, rng, bass=True)
    if INSTRUMENTS[instrument] is not None:
        programs = {role: INSTRUMENTS[instrument] for role in programs}
    transpose = rng.randint(-5, 6)
    song = pop.load_song(song_number, splits.DATASET)
    start, end, key = splits.key_regions(song_number)[0]
    source = pretty_midi.PrettyMIDI(str(song.midi))
    notes = [n for inst in source.instruments for n in inst.notes]
    window_start, window_end = rt.choose_window(notes, rt.Unit(song_number, 0, start, end, camelot.parse_key(key)),
                                                seconds, random.Random(f"{seed}:window:{song_number}"))
    midi = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
    for inst in source.instruments:
        role = inst.name.strip().upper()
        split_bass = role == "PIANO" and "BASS" in programs
        midi.instruments.append(rt.crop_instrument(inst, programs[role], window_start, window_end, 1.0, transpose, role,
                                                   keep=(lambda n: n.pitch >= rt.BASS_BELOW) if split_bass else lambda n: True))
        if split_bass:
            low = rt.crop_instrument(inst, programs["BASS"], window_start, window_end, 1.0, transpose, "BASS",
                                     keep=lambda n: n.pitch < rt.BASS_BELOW)
            low.control_changes = [cc for cc in low.control_changes if cc.number != 64]
            midi.instruments.append(low)
    if instrument == "band":
        full = pop.drum_track(song, "backbeat", window_start, window_end, random.Random(f"{seed}:drums:{song_number}"))
        midi.instruments.append(rt.crop_instrument(full, 0, window_start, window_end, 1.0, 0, "DRUMS", is_drum=True))
    length = window_end - window_start
    audio_chain.detune_midi(midi, cents)
    audio_chain.sanitize_midi(midi, length)
    with tempfile.TemporaryDirectory(prefix="tuning-") as tmp:
        mid = Path(tmp, "x.mid")
        midi.write(str(mid))
        audio = audio_chain.synthesize(mid, splits.SOUNDFONTS[side][0], True, length)
    audio = audio_chain._peak_normalize(audio_chain.fit(audio, round(length * audio_chain.SAMPLE_RATE)), -3.0)
    file = f"p{song_number:03d}-{instrument}-c{cents:+.0f}.mp3"
    audio_chain.write(audio, out / file, "mp3")
    k = camelot.parse_key(key).transposed(transpose)
    return {"file": file, "kind": "render", "instrument": instrument, "cents": f"{cents:.1f}",
            "source": f"pop909-{song_number:03d}", "key": k.camelot}


def real_sources(count: int) -> list[Path]:
    """`count` recordings of at least 60 s from the allowed packages, spread over them."""
    per_package: list[list[Path]] = []
    for package in REAL_PACKAGES:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
        files = sorted(Path(f) for f in listed if f.endswith((".ogg", ".mp3", ".flac", ".wav")) and "/music" in f.lower())
        long_enough = []
        for f in files:
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(f)],
                                   capture_output=True, text=True).stdout.strip()
            if probe and float(probe) >= 60:
                long_enough.append(f)
        per_package.append(long_enough)
    chosen = []
    while len(chosen) < count and any(per_package):
        for files in per_package:
            if files and len(chosen) < count:
                chosen.append(files.pop(0))
    return chosen


def render_real(index: int, source: Path, cents: float, out: Path) -> dict:
    ratio = 2 ** (cents / 1200)
    file = f"real-{index:02d}-c{cents:+.0f}.flac"
    audio_chain.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", "10", "-t", "60", "-i", str(source),
                     "-ac", "1", "-af", f"aresample=44100,asetrate={44100 * ratio:.6f},aresample=44100:resampler=soxr",
                     "-c:a", "flac", str(out / file)])
    return {"file": file, "kind": "real", "instrument": "recording", "cents": f"{cents:.1f}", "source": str(source), "key": ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--cents", default="-50,-40,-30,-20,-10,0,10,20,30,40,50")
    parser.add_argument("--real", type=int, default=12, help="real recordings (default 12)")
    parser.add_argument("--real-cents", default="-45,-30,-15,0,15,30,45")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "tuning.tsv"
    done = set()
    if table.exists():
        with table.open() as f:
            done = {row["file"] for row in csv.DictReader(f, delimiter="\t")}
    new = not table.exists()
    offsets = [float(c) for c in args.cents.split(",")]
    # One song per instrument, spread over 001-160.
    songs = splits.heldout_songs()[::11][:len(INSTRUMENTS)]
    with table.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "kind", "instrument", "cents", "source", "key"], delimiter="\t")
        if new:
            writer.writeheader()
        for index, source in enumerate(real_sources(args.real)):
            for cents in [float(c) for c in args.real_cents.split(",")]:
                if f"real-{index:02d}-c{cents:+.0f}.flac" not in done:
                    writer.writerow(render_real(index, source, cents, args.out))
                    f.flush()
        for song, instrument in zip(songs, INSTRUMENTS):
            for cents in offsets:
                if f"p{song:03d}-{instrument}-c{cents:+.0f}.mp3" not in done:
                    writer.writerow(render_excerpt(song, instrument, cents, args.seconds, args.seed, args.out))
                    f.flush()
            print(f"song {song:03d} ({instrument}) done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
