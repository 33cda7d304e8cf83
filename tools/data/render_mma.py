"""Render MMA (Musical MIDI Accompaniment) grooves over chord progressions in known keys.

Each excerpt has a key, cycling through all 24 keys in Camelot order so that any first N
excerpts are balanced. Its seeded generator (--seed, set, index) draws:

  * a progression of 8, 12 or 16 bars in that key, one chord a bar: 4-bar phrases drawn from
    common diatonic patterns (I-vi-IV-V, vi-IV-I-V, I-V-vi-IV, ii-V-I, i-VI-III-VII,
    i-VII-VI-V, ...), the last phrase a cadence (IV-V-I, ii-V-I, iv-V-i, ii°-V-i, VI-iv-V-i,
    ...); minor keys take V (and V7) from harmonic minor; about a third of the chords get a
    seventh; the progression repeats until the excerpt is long enough;
  * a groove file of the set's side of the split (splits.grooves_for) and one of its main
    grooves (no intros, endings or fills), tempo 80-140, length 30-45 s;
  * a melody line generated here: chord tones on strong beats, steps of the scale between them
    (harmonic minor's leading tone over V), rhythms from a small set of bar patterns, range
    A3-C6, ending each progression on the tonic;
  * a soundfont of the side; every MMA part's program moved to a program of the same General
    MIDI family on the side (splits.remap_program), the melody on a lead-line family.

MMA writes the accompaniment (`RndSeed` fixed, PYTHONHASHSEED=0: MMA randomizes timing and
velocity), pretty_midi adds the melody and cuts at the length, fluidsynth renders it, and
audio_chain augments training excerpts (mono FLAC) or gives held-out ones a 192 kb/s MP3.

Output: OUT/mma-SET-NNNN.flac|mp3, labels.tsv (columns in labels.py; song = the excerpt id,
groove = lib/file:Groove, progression = the chord symbols, tempo = bpm), and the render log.

    render_mma.py --set train --out data/train-mma [--per-key 20] [--count N] [--jobs 2]
    render_mma.py --set heldout --out data/heldout-mma [--per-key 10]
    render_mma.py --check-grooves   (renders a few bars of every groove file with MMA only)
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import audio_chain  # noqa: E402
import camelot  # noqa: E402
import labels  # noqa: E402
import render_training  # noqa: E402
import splits  # noqa: E402

SHARP_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FLAT_NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
FLAT_MAJOR_TONICS = frozenset({5, 10, 3, 8, 1, 6})  # F Bb Eb Ab Db Gb: keys written with flats
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor; V borrows the leading tone (harmonic minor)

# Chord qualities: (intervals, MMA suffix, seventh version).
QUALITIES = {
    "maj": ((0, 4, 7), "", "maj7"), "min": ((0, 3, 7), "m", "m7"), "dim": ((0, 3, 6), "dim3", "m7b5"),
    "dom": ((0, 4, 7), "", "7"),  # a major triad whose seventh is the dominant one
    "maj7": ((0, 4, 7, 11), "M7", None), "m7": ((0, 3, 7, 10), "m7", None), "m7b5": ((0, 3, 6, 10), "m7b5", None),
    "7": ((0, 4, 7, 10), "7", None),
}
# Roman numerals: semitones above the tonic and quality, per mode.
NUMERALS = {
    False: {"I": (0, "maj"), "ii": (2, "min"), "iii": (4, "min"), "IV": (5, "maj"), "V": (7, "dom"),
            "vi": (9, "min"), "vii°": (11, "dim")},
    True: {"i": (0, "min"), "ii°": (2, "dim"), "III": (3, "maj"), "iv": (5, "min"), "v": (7, "min"),
           "V": (7, "dom"), "VI": (8, "maj"), "VII": (10, "dom")},
}
PHRASES = {
    False: ["I IV V I", "I vi IV V", "I V vi IV", "vi IV I V", "I IV I V", "I iii IV V", "IV V iii vi",
            "I vi ii V", "I V IV V", "ii V I vi", "I ii IV V", "IV I V vi"],
    True: ["i iv V i", "i VI III VII", "i VII VI V", "i iv VII III", "i VI iv V", "i iv i V", "VI VII i i",
           "i VI VII i", "i v iv i", "i III VII iv", "iv VII III VI", "i VII VI VII"],
}
CADENCES = {
    False: ["I IV V I", "ii V I I", "IV V I I", "I ii V I", "vi ii V I", "IV ii V I"],
    True: ["i iv V i", "ii° V i i", "iv V i i", "VI iv V i", "i VI V i", "iv ii° V i"],
}
# Rhythms of a 4-beat bar: (onset, duration) in beats.
BAR_RHYTHMS = [
    [(0, 1), (1, 1), (2, 1), (3, 1)], [(0, 2), (2, 1), (3, 1)], [(0, 1.5), (1.5, 0.5), (2, 2)],
    [(0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)], [(0, 3), (3, 1)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)],
    [(0, 4)], [(1, 1), (2, 1), (3, 1)], [(0, 2), (2, 2)], [(0, 1), (1, 1), (2, 2)],
]
MELODY_LOW, MELODY_HIGH = 57, 84  # A3 .. C6


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class
    quality: str
    flats: bool = False  # spelling only (the key's signature); MMA reads either

    @property
    def symbol(self) -> str:
        return (FLAT_NAMES if self.flats else SHARP_NAMES)[self.root] + QUALITIES[self.quality][1]

    @property
    def tones(self) -> tuple[int, ...]:
        return tuple((self.root + i) % 12 for i in QUALITIES[self.quality][0])


@dataclass(frozen=True)
class Plan:
    file: str
    set: str
    index: int
    key: camelot.Key
    seed: int
    out: Path = field(repr=False, compare=False)


def progression(key: camelot.Key, rng: random.Random) -> list[Chord]:
    """8, 12 or 16 bars of chords in `key`, ending with a cadence."""
    bars = rng.choice([8, 12, 16])
    phrases = [rng.choice(PHRASES[key.minor]) for _ in range(bars // 4 - 1)] + [rng.choice(CADENCES[key.minor])]
    chords = []
    flats = (key.tonic + (3 if key.minor else 0)) % 12 in FLAT_MAJOR_TONICS
    for numeral in " ".join(phrases).split():
        offset, quality = NUMERALS[key.minor][numeral]
        seventh = QUALITIES[quality][2]
        if seventh and rng.random() < (0.5 if quality == "dom" else 0.3):
            quality = seventh
        chords.append(Chord((key.tonic + offset) % 12, quality, flats))
    return chords


def scale_for(key: camelot.Key, chord: Chord) -> list[int]:
    """Pitch classes the melody may use over `chord`: the key's scale, with harmonic minor's
    raised seventh over the dominant."""
    steps = MINOR_SCALE if key.minor else MAJOR_SCALE
    pcs = [(key.tonic + s) % 12 for s in steps]
    if key.minor and chord.root == (key.tonic + 7) % 12 and QUALITIES[chord.quality][0][1] == 4:
        pcs[6] = (key.tonic + 11) % 12
    return pcs


def bar_rhythm(beats: int, rng: random.Random) -> list[tuple[float, float]]:
    if beats == 4:
        return rng.choice(BAR_RHYTHMS)
    rhythm, t = [], 0.0
    while t < beats:
        d = min(rng.choice([0.5, 1, 1, 1, 1.5, 2]), beats - t)
        rhythm.append((t, d))
        t += d
    return rhythm


def melody_notes(key: camelot.Key, chords: list[Chord], bars: list[tuple[float, float, int]], rng: random.Random):
    """(pitch, start s, end s, velocity) for a melody over `bars` (start s, end s, beats)."""
    notes = []
    previous = 60 + key.tonic  # start from the tonic between C4 and B4
    velocity = rng.randint(80, 105)
    for b, (start, end, beats) in enumerate(bars):
        chord = chords[b % len(chords)]
        scale = scale_for(key, chord)
        beat = (end - start) / beats
        last_of_cycle = b % len(chords) == len(chords) - 1
        rhythm = [(0.0, float(beats))] if last_of_cycle else bar_rhythm(beats, rng)
        for onset, duration in rhythm:
            if rng.random() < 0.1 and not last_of_cycle:
                continue  # a rest
            strong = onset == int(onset) and (onset % 2 == 0 or duration >= 2)
            pool = [key.tonic] if last_of_cycle else list(chord.tones) if strong else scale
            candidates = [p for p in range(MELODY_LOW, MELODY_HIGH + 1) if p % 12 in pool]
            weights = [math.exp(-abs(p - previous) / (2.0 if strong else 1.2)) * (0.3 if p == previous else 1.0)
                       for p in candidates]
            pitch = rng.choices(candidates, weights)[0]
            t0 = start + onset * beat
            notes.append((pitch, t0, t0 + duration * beat * rng.uniform(0.8, 0.98),
                          max(1, min(127, velocity + rng.randint(-12, 12)))))
            previous = pitch
    return notes


def mma_script(lib_file: str, groove: str, tempo: int, chords: list[Chord], bars: int, seed: int) -> str:
    lines = [f"RndSeed {seed}", f"Groove {lib_file}:{groove}", f"Tempo {tempo}"]
    lines += [f"{b + 1} {chords[b % len(chords)].symbol}" for b in range(bars)]
    return "\n".join(lines) + "\n"


def run_mma(script: str, folder: Path) -> Path:
    source, midi = folder / "song.mma", folder / "song.mid"
    source.write_text(script)
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(["mma", "-f", str(midi), str(source)], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not midi.exists():
        raise RuntimeError(f"mma failed ({done.returncode}): {done.stdout.decode(errors='replace')[-800:]}")
    return midi


def bar_grid(midi, seconds: float) -> list[tuple[float, float, int]]:
    """(start, end, beats) of each bar that starts before `seconds`, from the MIDI's meter."""
    downbeats, beats = list(midi.get_downbeats()), list(midi.get_beats())
    grid = []
    for i, start in enumerate(downbeats[:-1]):
        if start >= seconds:
            break
        end = downbeats[i + 1]
        grid.append((start, end, sum(1 for t in beats if start - 1e-6 <= t < end - 1e-6)))
    return grid


def render(plan: Plan) -> dict:
    import pretty_midi

    side = splits.HELDOUT if plan.set == splits.HELDOUT else splits.TRAIN
    train = side == splits.TRAIN
    rng = random.Random(f"{plan.seed}:mma:{plan.set}:{plan.index}")
    lib_file = rng.choice(splits.grooves_for(side))
    groove = rng.choice(splits.main_grooves(lib_file) or (lib_file.rsplit("/", 1)[-1],))
    tempo = rng.randint(80, 140)
    seconds = round(rng.uniform(30.0, 45.0), 2)
    chords = progression(plan.key, rng)
    soundfont = rng.choice(splits.SOUNDFONTS[side])
    reverb = rng.random() < 0.7
    melody_family = rng.choice(render_training.ROLE_FAMILIES["MELODY"])
    melody_program = rng.choice([p for p in splits.programs(side, melody_family)
                                 if p not in render_training.NOT_FOR_LINES])
    melody_volume = rng.randint(95, 120)
    augmentation = audio_chain.draw(rng, augment=train)
    melody_rng = random.Random(f"{plan.seed}:melody:{plan.set}:{plan.index}")
    program_rng = random.Random(f"{plan.seed}:programs:{plan.set}:{plan.index}")
    bars = math.ceil(seconds * tempo / 60 / 2) + 2  # enough for any meter of 2 beats or more

    with tempfile.TemporaryDirectory(prefix=f"mma-{plan.index}-") as name:
        tmp = Path(name)
        midi = pretty_midi.PrettyMIDI(str(run_mma(mma_script(lib_file, groove, tempo, chords, bars, plan.index + 1),
                                                  tmp)))
        mapped: dict[int, int] = {}
        parts = []
        audio_chain.sanitize_midi(midi, seconds)
        for inst in midi.instruments:
            if not inst.is_drum:
                if inst.program not in mapped:
                    mapped[inst.program] = splits.remap_program(inst.program, side, program_rng)
                parts.append(f"{inst.name or '?'}:{inst.program}>{mapped[inst.program]}")
                inst.program = mapped[inst.program]
        if sum(len(i.notes) for i in midi.instruments if not i.is_drum) == 0:
            raise RuntimeError(f"{lib_file}:{groove} played no pitched notes")
        lead = pretty_midi.Instrument(program=melody_program, name="Melody")
        lead.control_changes.append(pretty_midi.ControlChange(7, melody_volume, 0.0))
        for pitch, start, end, velocity in melody_notes(plan.key, chords, bar_grid(midi, seconds), melody_rng):
            lead.notes.append(pretty_midi.Note(velocity, pitch, start, min(end, seconds)))
        midi.instruments.append(lead)
        audio_chain.detune_midi(midi, augmentation.detune_cents)
        audio_chain.sanitize_midi(midi, seconds)
        cut = tmp / "excerpt.mid"
        midi.write(str(cut))
        audio = audio_chain.synthesize(cut, soundfont, reverb, seconds)
    audio = audio_chain.fit(audio, round(seconds * audio_chain.SAMPLE_RATE))
    audio = audio_chain.apply(audio, augmentation, seed=plan.file)
    audio_chain.write(audio, plan.out / plan.file, "flac" if train else "mp3")

    split = splits.HELDOUT if not train else splits.VALIDATION if splits.mma_is_validation(plan.index) else splits.TRAIN
    return {
        "file": plan.file, "key": plan.key.name, "camelot": plan.key.camelot, "index": plan.key.index,
        "song": Path(plan.file).stem, "split": split, "start": 0.0, "end": seconds, "seconds": seconds,
        "transpose": 0, "tempo": tempo, "soundfont": soundfont.name,
        "programs": ",".join(parts + [f"Melody={melody_program}"]), "drums": "groove",
        "groove": f"{lib_file}:{groove}", "progression": " ".join(c.symbol for c in chords),
        "augment": augmentation.describe(),
    }


def check_grooves() -> int:
    """Run MMA on 8 bars of every main groove of every groove file; report the ones that fail or
    play no pitched notes (cheap: MMA only, no synthesis)."""
    import pretty_midi

    bad = 0
    key = camelot.parse_key("C major")
    chords = progression(key, random.Random(0))
    for side in (splits.TRAIN, splits.HELDOUT):
        for lib_file in splits.grooves_for(side):
            grooves = splits.main_grooves(lib_file)
            if not grooves:
                print(f"{lib_file}: no main groove", file=sys.stderr)
                bad += 1
                continue
            for groove in grooves:
                with tempfile.TemporaryDirectory() as name:
                    try:
                        midi = pretty_midi.PrettyMIDI(str(run_mma(mma_script(lib_file, groove, 110, chords, 8, 1),
                                                                  Path(name))))
                        pitched = sum(len(i.notes) for i in midi.instruments if not i.is_drum)
                        if pitched < 8:
                            raise RuntimeError(f"{pitched} pitched notes")
                    except Exception as error:
                        bad += 1
                        print(f"{side} {lib_file}:{groove}: {str(error)[-300:]}", file=sys.stderr)
    print(f"{bad} problems", file=sys.stderr)
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[splits.TRAIN, splits.HELDOUT], help="side of the split")
    parser.add_argument("--out", type=Path, help="output folder (created)")
    parser.add_argument("--per-key", type=int, help="excerpts per key (default 20 for train, 10 for heldout)")
    parser.add_argument("--count", type=int, help="render only the first N excerpts (keys cycle, so balanced)")
    parser.add_argument("--seed", type=int, default=5, help="seed of every random choice (default 5)")
    parser.add_argument("--jobs", type=int, default=1, help="renders at once (default 1)")
    parser.add_argument("--check-grooves", action="store_true", help="check every groove file with MMA and stop")
    args = parser.parse_args()
    if args.check_grooves:
        return check_grooves()
    if not args.set or not args.out:
        parser.error("--set and --out are required")
    per_key = args.per_key or (20 if args.set == splits.TRAIN else 10)
    total = per_key * 24 if args.count is None else min(args.count, per_key * 24)
    extension = "flac" if args.set == splits.TRAIN else "mp3"
    plans = [Plan(f"mma-{args.set}-{i:04d}.{extension}", args.set, i, camelot.from_index(i % 24), args.seed, args.out)
             for i in range(total)]
    counts = Counter(p.key.minor for p in plans)
    print(f"{len(plans)} excerpts: {counts[False]} major, {counts[True]} minor", file=sys.stderr)
    _, failures = labels.render_all(args.out, plans, render, args.jobs)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
