"""Render held-out POP909 songs whole, with their key regions, for the key-timeline evaluation.

Every held-out song (001-160, tools/data/splits.py) the model never trained on, rendered from MIDI
time 0 to its last note with nothing trimmed, so the times in key_audio.txt (`start end
Tonic:maj|min`, audio time, to which POP909's MIDI is aligned) are the render's times; songs
with several key regions included. The arrangement is drawn as render_training.py draws a
held-out render (held-out soundfont and programs, a split-off bass half the time, drums half
the time, reverb, a random transposition that moves the labels with it), from its own seed.
Writes NNN.mp3 and regions.tsv (file, start, end, key, camelot per region; times in seconds).

    render_timeline.py --out DIR [--songs 001-160] [--single-key N] [--single-first] [--seed S]
    render_timeline.py --validation --out DIR [--seed S]

--validation renders the validation songs of 161-700 (splits.py; never trained on) instead, with
the training side's soundfonts and programs, as data/validation-pop909 renders them: the songs
on which the timeline's parameters are chosen, so that the held-out songs only measure.

Renders one song at a time (run it under `nice`: it shares the machine).
"""

from __future__ import annotations

import argparse
import csv
import random
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


def render_song(song_number: int, out: Path, seed: int, detune_cents: float | None = None,
                name: str | None = None, side: str = splits.HELDOUT) -> list[dict]:
    """Render one whole song to out/NNN.mp3 with `side`'s soundfonts and programs; returns its
    regions, transposed, as rows."""
    import pretty_midi
    rng = random.Random(f"{seed}:timeline:{song_number}")
    soundfont = rng.choice(splits.SOUNDFONTS[side])
    bass = rng.random() < 0.5
    programs = rt.draw_programs(side, rng, bass)
    volumes = {role: rng.randint(*limits) for role, limits in rt.ROLE_VOLUME.items()}
    pans = {"MELODY": 64, "BRIDGE": rng.randint(34, 54), "PIANO": rng.randint(74, 94), "BASS": rng.randint(56, 72)}
    drums = rng.choice(pop.DRUM_PATTERNS) if rng.random() < 0.5 else None
    reverb = rng.random() < 0.7
    transpose = rng.randint(-5, 6)
    peak_db = rng.uniform(-6.0, -1.0)

    song = pop.load_song(song_number, splits.DATASET)
    source = pretty_midi.PrettyMIDI(str(song.midi))
    notes = [n for inst in source.instruments for n in inst.notes]
    end = max(n.end for n in notes) + 1.0
    midi = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
    for inst in source.instruments:
        role = inst.name.strip().upper()
        split_bass = role == "PIANO" and "BASS" in programs
        midi.instruments.append(rt.crop_instrument(inst, programs[role], 0.0, end, 1.0, transpose, role,
                                                   keep=(lambda n: n.pitch >= rt.BASS_BELOW) if split_bass else lambda n: True))
        if split_bass:
            low = rt.crop_instrument(inst, programs["BASS"], 0.0, end, 1.0, transpose, "BASS",
                                     keep=lambda n: n.pitch < rt.BASS_BELOW)
            low.control_changes = [cc for cc in low.control_changes if cc.number != 64]
            midi.instruments.append(low)
    if drums:
        full = pop.drum_track(song, drums, 0.0, end, random.Random(f"{seed}:drums:{song_number}"))
        midi.instruments.append(rt.crop_instrument(full, 0, 0.0, end, 1.0, 0, "DRUMS", is_drum=True))
        volumes["DRUMS"], pans["DRUMS"] = 110, 64
    for inst in midi.instruments:
        inst.control_changes[:0] = [pretty_midi.ControlChange(7, volumes[inst.name], 0.0),
                                    pretty_midi.ControlChange(10, pans[inst.name], 0.0)]
    audio_chain.detune_midi(midi, detune_cents)
    audio_chain.sanitize_midi(midi, end)
    with tempfile.TemporaryDirectory(prefix=f"timeline-{song_number:03d}-") as tmp:
        mid = Path(tmp, "song.mid")
        midi.write(str(mid))
        audio = audio_chain.synthesize(mid, soundfont, reverb, end)
    audio = audio_chain.fit(audio, round(end * audio_chain.SAMPLE_RATE))
    audio = audio_chain._peak_normalize(audio, peak_db)
    file = name or f"{song_number:03d}.mp3"
    audio_chain.write(audio, out / file, "mp3")
    rows = []
    for start, stop, key in splits.key_regions(song_number):
        k = camelot.parse_key(key).transposed(transpose)
        rows.append({"file": file, "start": f"{start:.3f}", "end": f"{stop:.3f}", "key": k.name, "camelot": k.camelot})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--songs", default="001-160", help="song numbers within 001-160 (default: all)")
    parser.add_argument("--single-key", type=int, default=None, metavar="N",
                        help="render every multi-key song and the first N single-key songs (default: all)")
    parser.add_argument("--single-first", action="store_true", help="render the single-key songs before the others")
    parser.add_argument("--validation", action="store_true",
                        help="render the validation songs of 161-700 (training soundfonts and programs) instead")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    side = splits.TRAIN if args.validation else splits.HELDOUT
    if args.validation:
        songs = sorted(splits.validation_songs())
    else:
        songs = [n for n in pop.parse_songs(args.songs) if splits.song_split(n) == splits.HELDOUT]
        if len(songs) != len(pop.parse_songs(args.songs)):
            parser.error("only held-out songs (001-160) may be evaluated")
    multi = [n for n in songs if len(splits.key_regions(n)) > 1]
    single = [n for n in songs if len(splits.key_regions(n)) == 1]
    if args.single_key is not None:
        single = single[:args.single_key]
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "regions.tsv"
    done = set()
    if table.exists():
        with table.open() as f:
            done = {row["file"] for row in csv.DictReader(f, delimiter="\t")}
    new = not table.exists()
    with table.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "start", "end", "key", "camelot"], delimiter="\t")
        if new:
            writer.writeheader()
        for n in (single + multi) if args.single_first else (multi + single):
            if f"{n:03d}.mp3" in done:
                continue
            writer.writerows(render_song(n, args.out, args.seed, side=side))
            f.flush()
            print(f"{n:03d} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
