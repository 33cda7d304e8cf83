"""Render POP909 into KeyNet's training excerpts (--set train), its held-out songs (--set heldout),
or its validation songs whole (--set validation).

Both sets come from the same code, so they differ only where splits.py says they must: songs,
General MIDI programs, soundfonts; and in what only training needs: excerpts, tempo changes,
balanced keys and audio augmentation.

--set train (songs 161-700; splits.py marks 5 % of them "validation" in labels.tsv)
  * Units: every key region of at least --min-region seconds (key_audio.txt), so songs that
    change key contribute each single-key part; 2 s are kept clear of an internal key change.
  * Renders per unit: --renders (default 2; 4 doubles the set and the hour it takes) for
    major units. Minor units are fewer in POP909, so
    they get more renders: each mode gets --renders × (units of the larger mode) excerpts,
    spread as evenly as possible over its units (at most 3 × --renders a unit).
  * Keys: within each mode the excerpts' target tonics are dealt greedily (fewest so far first,
    a unit's renders on different tonics), so the 24 keys get equal counts ±1; the MIDI is
    transposed by the nearest shift (-5..+6 semitones) to reach the target.
  * Each render (seeded by --seed, song, region and render number): a window of --seconds
    (default 45) inside the region, the window with notes sounding in most seconds among a few
    draws; a training soundfont; training programs for MELODY, BRIDGE, PIANO (render_pop909's
    roles); on half the renders the PIANO notes below C3 go to a bass program; drums on half
    (render_pop909.drum_track from beat_midi.txt, a third of them loud); MIDI time scaled by
    0.85-1.15 (the window is sized so the output still lasts --seconds); fluidsynth reverb on
    70 %; then audio_chain's augmentation (a random subset of effects, each with its own
    probability) and a mono 16-bit FLAC.

--set heldout (the 130 songs of 001-160 with a single key region)
  * Full songs, MuseScore_General_Full, held-out programs, bass split and drums on half, a
    random transposition (-5..+6) per song, no tempo change and no augmentation; 192 kb/s
    stereo MP3 at a peak of -6..-1 dBFS, like data/agreement.

--set validation (the validation songs of 161-700 with a single key region, splits.py)
  * Full songs as --set heldout renders them (no tempo change, no augmentation, 192 kb/s MP3),
    but with the training side's soundfonts and programs: whole tracks, as users analyze
    them, that no weight was trained on and that share nothing with the held-out side. They
    fit the confidence temperature (tools/training/calibrate.py --fit).

Output: OUT/pop909-NNN-kR-rJ.flac (song NNN, key region R, render J) or OUT/pop909-NNN.mp3,
labels.tsv (columns in labels.py) and a render log that makes reruns resume.

    render_training.py --set train --out data/train [--songs 161-700] [--count N] [--renders 2]
                       [--seconds 45] [--jobs 2] [--seed 3]
    render_training.py --set heldout --out data/heldout-pop909 [--songs 001-160] [--jobs 2]
    render_training.py --set validation --out data/validation-pop909 [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import audio_chain  # noqa: E402
import camelot  # noqa: E402
import labels  # noqa: E402
import render_pop909 as pop  # noqa: E402
import splits  # noqa: E402

# GM families each track may draw from (splits.programs gives each side's programs in them).
# PIANO is the accompaniment (bass and chords, with the sustain pedal); BASS gets its low notes
# when the render splits them off.
ROLE_FAMILIES = {
    "MELODY": ["piano", "chromatic", "organ", "guitar", "strings", "ensemble", "brass", "reed", "pipe",
               "synth-lead", "ethnic"],
    "BRIDGE": ["piano", "chromatic", "organ", "guitar", "strings", "ensemble", "reed", "pipe", "synth-lead",
               "synth-pad"],
    "PIANO": ["piano", "piano", "piano", "organ", "guitar", "ensemble", "synth-pad"],
    "BASS": ["bass"],
}
# Low instruments that would play a melody far outside their range.
NOT_FOR_LINES = frozenset({42, 43, 58, 67, 70})  # cello, contrabass, tuba, baritone sax, bassoon
ROLE_VOLUME = {"MELODY": (95, 120), "BRIDGE": (70, 95), "PIANO": (80, 105), "BASS": (85, 110)}  # CC7
BASS_BELOW = 48  # C3: PIANO notes under it go to the bass part when the render splits one off
MAX_RENDER_FACTOR = 3  # a minor unit gets at most 3 × --renders (POP909 161-700 needs 1.5 ×)
KEY_CHANGE_MARGIN = 2.0  # seconds kept clear of a key change (the annotation is not sample-exact)


@dataclass(frozen=True)
class Unit:
    """A single-key stretch of a POP909 song (audio time from key_audio.txt)."""

    song: int
    region: int
    start: float
    end: float
    key: camelot.Key


@dataclass(frozen=True)
class Plan:
    """One file to render; every random choice is drawn from it in the worker."""

    file: str
    set: str  # splits.TRAIN, splits.VALIDATION (whole validation songs) or splits.HELDOUT
    unit: Unit
    render: int
    transpose: int
    seconds: float  # excerpt length (0: the full song)
    seed: int
    # Where things are is not part of the plan's identity (labels.plan_id hashes the repr).
    dataset: Path = field(repr=False, compare=False)
    out: Path = field(repr=False, compare=False)


def units_of(song: int, dataset: Path, min_region: float) -> list[Unit]:
    regions = splits.key_regions(song, dataset)
    units = []
    for i, (start, end, key) in enumerate(regions):
        start += KEY_CHANGE_MARGIN if i > 0 else 0.0
        end -= KEY_CHANGE_MARGIN if i < len(regions) - 1 else 0.0
        if end - start >= min_region:
            units.append(Unit(song, i, start, end, camelot.parse_key(key)))
    return units


def renders_per_unit(units: list[Unit], renders: int, balance_modes: bool, seed: int) -> dict[Unit, int]:
    """How many renders each unit gets: equal totals per mode when balance_modes."""
    counts: dict[Unit, int] = {}
    by_mode = {minor: [u for u in units if u.key.minor == minor] for minor in (False, True)}
    most = max(len(us) for us in by_mode.values())
    for minor, group in by_mode.items():
        if not group:
            continue
        total = renders * (most if balance_modes else len(group))
        total = min(total, MAX_RENDER_FACTOR * renders * len(group))  # a small --songs subset
        base, extra = divmod(total, len(group))
        ranked = sorted(group, key=lambda u: random.Random(f"{seed}:extra:{u.song}:{u.region}").random())
        for i, unit in enumerate(ranked):
            counts[unit] = base + (1 if i < extra else 0)
    return counts


def deal_tonics(counts: dict[Unit, int], seed: int) -> dict[tuple[Unit, int], int]:
    """A target tonic per (unit, render): per mode, fewest-so-far first, distinct within a unit."""
    rng = random.Random(f"{seed}:tonics")
    targets = {}
    for minor in (False, True):
        group = sorted((u for u in counts if u.key.minor == minor), key=lambda u: (u.song, u.region))
        rng.shuffle(group)
        dealt = Counter({t: 0 for t in range(12)})
        for unit in group:
            used: set[int] = set()
            for render in range(counts[unit]):
                free = [t for t in range(12) if t not in used] or list(range(12))
                low = min(dealt[t] for t in free)
                tonic = rng.choice([t for t in free if dealt[t] == low])
                dealt[tonic] += 1
                used.add(tonic)
                targets[(unit, render)] = tonic
    return targets


def shift_to(tonic: int, target: int) -> int:
    """The transposition in -5..+6 semitones that moves `tonic` to `target`."""
    return (target - tonic + 5) % 12 - 5


def plan_training(songs: list[int], args) -> list[Plan]:
    units = [u for s in songs for u in units_of(s, args.dataset, args.min_region)]
    counts = renders_per_unit(units, args.renders, args.balance_modes, args.seed)
    targets = deal_tonics(counts, args.seed)
    plans = []
    for unit in units:
        for render in range(counts[unit]):
            k = shift_to(unit.key.tonic, targets[(unit, render)])
            plans.append(Plan(f"pop909-{unit.song:03d}-k{unit.region}-r{render}.flac", splits.TRAIN, unit, render,
                              k, args.seconds, args.seed, args.dataset, args.out))
    return plans


def plan_whole_songs(songs: list[int], split: str, args) -> list[Plan]:
    """One full-song render of each song with a single key region, in a random transposition."""
    plans = []
    for song in songs:
        regions = splits.key_regions(song, args.dataset)
        if len(regions) != 1:
            print(f"skip {song:03d}: {len(regions)} key regions", file=sys.stderr)
            continue
        start, end, key = regions[0]
        k = random.Random(f"{args.seed}:{split}:{song}").randint(-5, 6)
        unit = Unit(song, 0, start, end, camelot.parse_key(key))
        plans.append(Plan(f"pop909-{song:03d}.mp3", split, unit, 0, k, 0.0, args.seed, args.dataset, args.out))
    return plans


# --- one render -------------------------------------------------------------------------------

def draw_programs(side: str, rng: random.Random, bass: bool) -> dict[str, int]:
    """A program per role from distinct families where possible (as render_pop909.plan does)."""
    chosen, used = {}, set()
    for role in ("MELODY", "BRIDGE", "PIANO", "BASS"):
        families = [f for f in ROLE_FAMILIES[role] if f not in used] or ROLE_FAMILIES[role]
        family = rng.choice(families)
        used.add(family)
        options = [p for p in splits.programs(side, family) if role in ("PIANO", "BASS") or p not in NOT_FOR_LINES]
        program = rng.choice(options)
        if role != "BASS" or bass:
            chosen[role] = program
    return chosen


def sounding_fraction(notes, start: float, end: float) -> float:
    """Fraction of the whole seconds in [start, end) during which at least one note sounds."""
    seconds = max(1, int(end - start))
    covered = [False] * seconds
    for n in notes:
        first, last = int(max(n.start, start) - start), int(min(n.end, end) - start)
        for s in range(max(0, first), min(seconds - 1, last) + 1):
            covered[s] = True
    return sum(covered) / seconds


def choose_window(notes, unit: Unit, length: float, rng: random.Random) -> tuple[float, float]:
    """A window of `length` seconds inside the unit: among 8 draws, the first with notes in 90 %
    of its seconds, else the fullest one (a 45 s window rarely falls in a silent stretch)."""
    if unit.end - unit.start <= length:
        return unit.start, unit.end
    best, best_fraction = None, -1.0
    for _ in range(8):
        start = rng.uniform(unit.start, unit.end - length)
        fraction = sounding_fraction(notes, start, start + length)
        if fraction > best_fraction:
            best, best_fraction = start, fraction
        if fraction >= 0.9:
            break
    return best, best + length


def crop_instrument(source, program: int, start: float, end: float, scale: float, transpose: int, name: str,
                    is_drum: bool = False, keep=lambda note: True):
    """A new instrument with the notes and controllers of `source` inside [start, end), moved to
    start at 0 and time-scaled. A controller's last value before the window is set at time 0
    (a pedal held down into the window stays down)."""
    import pretty_midi

    inst = pretty_midi.Instrument(program=program, is_drum=is_drum, name=name)
    for n in source.notes:
        if n.end <= start or n.start >= end or not keep(n):
            continue
        pitch = n.pitch + (0 if is_drum else transpose)
        if 0 <= pitch <= 127:
            inst.notes.append(pretty_midi.Note(n.velocity, pitch, (max(n.start, start) - start) * scale,
                                               (min(n.end, end) - start) * scale))
    last: dict[int, int] = {}
    for cc in sorted(source.control_changes, key=lambda c: c.time):
        if cc.time < start:
            last[cc.number] = cc.value
        elif cc.time < end:
            inst.control_changes.append(pretty_midi.ControlChange(cc.number, cc.value, (cc.time - start) * scale))
    inst.control_changes[:0] = [pretty_midi.ControlChange(number, value, 0.0) for number, value in sorted(last.items())]
    return inst


def render(plan: Plan) -> dict:
    """Render one plan to its file; returns its labels.tsv row."""
    import tempfile

    import pretty_midi

    side = splits.TRAIN if plan.set == splits.VALIDATION else plan.set  # soundfonts and programs
    train = plan.set == splits.TRAIN
    rng = random.Random(f"{plan.seed}:{plan.set}:{plan.unit.song}:{plan.unit.region}:{plan.render}")
    soundfont = rng.choice(splits.SOUNDFONTS[side])
    bass = rng.random() < 0.5
    programs = draw_programs(side, rng, bass)
    volumes = {role: rng.randint(*limits) for role, limits in ROLE_VOLUME.items()}
    pans = {"MELODY": 64, "BRIDGE": rng.randint(34, 54), "PIANO": rng.randint(74, 94), "BASS": rng.randint(56, 72)}
    if rng.random() < 0.5:
        pans["BRIDGE"], pans["PIANO"] = 128 - pans["BRIDGE"], 128 - pans["PIANO"]
    drums = rng.choice(pop.DRUM_PATTERNS) if rng.random() < 0.5 else None
    loud_drums = rng.random() < 1 / 3
    drum_volume = 127 if loud_drums else rng.randint(80, 110)
    scale = rng.uniform(0.85, 1.15) if train else 1.0  # new time = old time × scale
    reverb = rng.random() < 0.7
    augmentation = audio_chain.draw(rng, augment=train)
    window_rng = random.Random(f"{plan.seed}:window:{plan.unit.song}:{plan.unit.region}:{plan.render}")

    song = pop.load_song(plan.unit.song, plan.dataset)
    source = pretty_midi.PrettyMIDI(str(song.midi))
    notes = [n for inst in source.instruments for n in inst.notes]
    if plan.seconds > 0:
        start, end = choose_window(notes, plan.unit, plan.seconds / scale, window_rng)
    else:  # the full song, from its first note to its last
        start, end = min(n.start for n in notes), max(n.end for n in notes)
    quieter = rng.uniform(0.56, 0.7)
    if drums and loud_drums:  # the drums stay at full level, everything else comes down 6-10 dB
        volumes = {role: int(v * quieter) for role, v in volumes.items()}

    midi = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
    for inst in source.instruments:
        role = inst.name.strip().upper()
        if role not in ROLE_FAMILIES:
            raise ValueError(f"{song.midi}: unexpected track {inst.name!r}")
        split_bass = role == "PIANO" and "BASS" in programs
        midi.instruments.append(crop_instrument(inst, programs[role], start, end, scale, plan.transpose, role,
                                                keep=(lambda n: n.pitch >= BASS_BELOW) if split_bass else lambda n: True))
        if split_bass:
            low = crop_instrument(inst, programs["BASS"], start, end, scale, plan.transpose, "BASS",
                                  keep=lambda n: n.pitch < BASS_BELOW)
            low.control_changes = [cc for cc in low.control_changes if cc.number != 64]  # no pedal on a bass
            midi.instruments.append(low)
    if drums:
        full = pop.drum_track(song, drums, start, end, random.Random(f"{plan.seed}:drums:{plan.unit.song}:{plan.render}"))
        midi.instruments.append(crop_instrument(full, 0, start, end, scale, 0, "DRUMS", is_drum=True))
        volumes["DRUMS"], pans["DRUMS"] = drum_volume, 64
    for inst in midi.instruments:
        inst.control_changes[:0] = [pretty_midi.ControlChange(7, volumes[inst.name], 0.0),
                                    pretty_midi.ControlChange(10, pans[inst.name], 0.0)]

    audio_chain.detune_midi(midi, augmentation.detune_cents)
    length = (end - start) * scale
    audio_chain.sanitize_midi(midi, length)
    with tempfile.TemporaryDirectory(prefix=f"pop909-{plan.unit.song:03d}-") as tmp:
        mid = Path(tmp, "excerpt.mid")
        midi.write(str(mid))
        audio = audio_chain.synthesize(mid, soundfont, reverb, length)
    if plan.seconds > 0:
        audio = audio_chain.fit(audio, round(length * audio_chain.SAMPLE_RATE))
    else:
        audio = pop._trim_silence(audio)
    audio = audio_chain.apply(audio, augmentation, seed=plan.file)
    audio_chain.write(audio, plan.out / plan.file, "flac" if train else "mp3")

    key = plan.unit.key.transposed(plan.transpose)
    return {
        "file": plan.file, "key": key.name, "camelot": key.camelot, "index": key.index,
        "song": f"{plan.unit.song:03d}", "split": splits.song_split(plan.unit.song),
        "start": round(start, 2), "end": round(end, 2), "seconds": round(len(audio) / audio_chain.SAMPLE_RATE, 2),
        "transpose": plan.transpose, "tempo": round(scale, 3), "soundfont": soundfont.name,
        "programs": ",".join(f"{role}={p}" for role, p in programs.items()),
        "drums": f"{drums}{'-loud' if loud_drums else ''}" if drums else "none",
        "groove": "-", "progression": "-", "augment": augmentation.describe(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[splits.TRAIN, splits.VALIDATION, splits.HELDOUT], required=True,
                        help="train: excerpts of songs 161-700; validation: its validation songs whole; heldout: full songs of 001-160")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--songs", help="song numbers, e.g. 161-200,305 (default: the whole side of the split)")
    parser.add_argument("--count", type=int, help="use only the first N songs")
    parser.add_argument("--renders", type=int, default=2,
                        help="renders per major key region (train; default 2: 1516 excerpts, 19 h)")
    parser.add_argument("--no-balance-modes", dest="balance_modes", action="store_false",
                        help="give minor regions --renders too instead of more renders to balance the modes")
    parser.add_argument("--seconds", type=float, default=45.0, help="excerpt length (train; default 45)")
    parser.add_argument("--min-region", type=float, default=20.0,
                        help="shortest key region that becomes a unit (train; default 20 s)")
    parser.add_argument("--dataset", type=Path, default=splits.DATASET, help=f"POP909 folder (default {splits.DATASET})")
    parser.add_argument("--seed", type=int, default=3, help="seed of every random choice (default 3)")
    parser.add_argument("--jobs", type=int, default=1, help="renders at once (default 1)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan's counts per key and stop")
    args = parser.parse_args()

    side_songs = {splits.TRAIN: splits.TRAIN_SONGS, splits.VALIDATION: sorted(splits.validation_songs()),
                  splits.HELDOUT: splits.HELDOUT_SONGS}[args.set]
    songs = pop.parse_songs(args.songs) if args.songs else list(side_songs)
    outside = [n for n in songs if n not in side_songs]
    if outside:
        parser.error(f"songs {', '.join(f'{n:03d}' for n in outside)} are not in the {args.set} side of the split")
    if args.count is not None:
        songs = songs[:args.count]
    if args.set == splits.TRAIN:
        if args.seconds <= 0:
            parser.error("--seconds must be positive")
        plans = plan_training(songs, args)
    else:
        plans = plan_whole_songs(songs, args.set, args)

    keys = Counter(p.unit.key.transposed(p.transpose) for p in plans)
    for minor in (False, True):
        row = [keys[camelot.Key(t, minor)] for t in range(12)]
        print(f"{'minor' if minor else 'major'}: {sum(row)} files, per tonic C..B: {row}", file=sys.stderr)
    if args.dry_run:
        return 0
    _, failures = labels.render_all(args.out, plans, render, args.jobs)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
