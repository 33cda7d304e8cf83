"""Render POP909 songs to labelled audio: the test music for keyscan's agreement and benchmarks.

Reads ../shared/datasets/pop909-train/NNN/ (NNN.mid with tracks MELODY, BRIDGE, PIANO;
key_audio.txt with `start end Tonic:maj|min` lines; beat_midi.txt with `time beat downbeat`
lines) and per song:

  1. plans an arrangement from a seed of its own (`--seed` and the song number, so a song
     renders the same whatever else is rendered with it): a soundfont, a General MIDI program
     for each track from different instrument families, levels and pan, reverb, a drum
     pattern, and a transposition;
  2. rewrites the MIDI (pretty_midi): programs, transposition of every note (the label moves
     with it), a drum track on channel 10 built from beat_midi.txt (kick, snare, hi-hats);
  3. synthesizes it with `fluidsynth -ni -F out.wav -r 44100 -g GAIN -O float`;
  4. normalizes the peak to a level drawn from the plan and encodes to MP3 (libmp3lame CBR,
     `--bitrate`) or FLAC (16 bit) with ffmpeg, metadata stripped for reproducible bytes.

Songs with more than one key region are skipped (the key would be ambiguous), and so are songs
whose MIDI is outside --min-seconds/--max-seconds. Beside the audio it writes `labels.tsv`
(file, key, camelot; header line) and `renders.tsv` (how each file was made).

    render_pop909.py --songs 001-060 --out DIR [--count N] [--soundfonts SF ...]
                     [--transpose random|balanced|none|K] [--drums|--no-drums]
                     [--format mp3|flac] [--bitrate 192k] [--jobs N] [--seed S]

Transposition `random` draws k in -5..+6 per song; `balanced` gives the i-th selected song the
tonic i mod 12 (nearest k), so a long enough set covers every key equally in each mode that
occurs. Nothing here trains anything: the plan/render split is where training-data variants
(several arrangements per song, more augmentation) would be added.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
SHARED = TOOLS.parents[1] / "shared"
DATASET = SHARED / "datasets" / "pop909-train"
SOUNDFONTS = [
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf3/MuseScore_General_Full.sf3"),
]
SAMPLE_RATE = 44100

sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
import camelot  # noqa: E402

# General MIDI programs (0-based) by instrument family.
FAMILIES = {
    "piano": [0, 1, 2, 3],
    "e-piano": [4, 5],
    "mallets": [8, 11, 12],  # celesta, vibraphone, marimba
    "organ": [16, 17, 18],
    "guitar": [24, 25, 26, 27],
    "strings": [40, 48, 49, 46],  # violin, ensembles, harp
    "voice": [52, 53],
    "brass": [56, 61],
    "reed": [65, 66, 71],  # alto sax, tenor sax, clarinet
    "pipe": [73, 75],  # flute, pan flute
    "synth-lead": [80, 81, 87],
    "synth-pad": [88, 89, 90],
}
# Families each track may get: MELODY is a lead line, BRIDGE a counter-line, PIANO the
# accompaniment (bass and chords, often with the sustain pedal).
ROLE_FAMILIES = {
    "MELODY": ["piano", "e-piano", "mallets", "organ", "guitar", "strings", "voice", "brass", "reed", "pipe",
               "synth-lead"],
    "BRIDGE": ["piano", "e-piano", "mallets", "organ", "guitar", "strings", "voice", "reed", "pipe", "synth-pad"],
    "PIANO": ["piano", "piano", "e-piano", "organ", "guitar", "strings", "synth-pad"],
}
ROLE_VOLUME = {"MELODY": (100, 120), "BRIDGE": (70, 95), "PIANO": (80, 105)}  # MIDI CC7 range
DRUM_PATTERNS = ["backbeat", "four-on-the-floor", "half-time"]
KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH = 36, 38, 42, 46, 49


@dataclass(frozen=True)
class Song:
    """One POP909 song as the dataset gives it."""

    number: int
    midi: Path
    key: camelot.Key | None  # None when the song has more than one key region
    regions: int
    beats: tuple[tuple[float, bool, bool], ...]  # (seconds, half-bar start, bar start)

    @property
    def name(self) -> str:
        return f"{self.number:03d}"


@dataclass(frozen=True)
class Arrangement:
    """Everything that decides how a song sounds; drawn from the song's own seed."""

    soundfont: Path
    programs: dict[str, int]
    volumes: dict[str, int]
    pans: dict[str, int]
    drums: str | None  # pattern name, or None for no drums
    transpose: int
    reverb: bool
    peak_db: float  # peak level after normalization, dBFS


@dataclass(frozen=True)
class Options:
    out: Path
    soundfonts: tuple[Path, ...]
    transpose: str
    drums: float  # probability that a song gets drums
    format: str
    bitrate: str
    gain: float
    seed: int


def load_song(number: int, dataset: Path = DATASET) -> Song:
    folder = dataset / f"{number:03d}"
    regions = [line.split() for line in (folder / "key_audio.txt").read_text().splitlines() if line.strip()]
    key = camelot.parse_key(regions[0][2]) if len(regions) == 1 else None
    beats = []
    for line in (folder / "beat_midi.txt").read_text().splitlines():
        if line.strip():
            t, half, bar = line.split()
            beats.append((float(t), float(half) > 0.5, float(bar) > 0.5))
    return Song(number, folder / f"{number:03d}.mid", key, len(regions), tuple(beats))


def plan(song: Song, position: int, options: Options) -> Arrangement:
    """Draw the arrangement from a generator seeded by (--seed, song number) only.

    The draws come in a fixed order; the pattern draw happens only for songs that get drums,
    so changing the drum probability changes the draws after it (transposition, reverb, level).
    """
    rng = random.Random(f"{options.seed}:{song.number}")
    soundfont = rng.choice(options.soundfonts)
    programs, used = {}, set()
    for role in ("MELODY", "BRIDGE", "PIANO"):
        families = [f for f in ROLE_FAMILIES[role] if f not in used] or ROLE_FAMILIES[role]
        family = rng.choice(families)
        used.add(family)
        programs[role] = rng.choice(FAMILIES[family])
    volumes = {role: rng.randint(*limits) for role, limits in ROLE_VOLUME.items()}
    pans = {"MELODY": 64, "BRIDGE": rng.randint(34, 54), "PIANO": rng.randint(74, 94)}
    if rng.random() < 0.5:
        pans["BRIDGE"], pans["PIANO"] = 128 - pans["BRIDGE"], 128 - pans["PIANO"]
    drums = rng.choice(DRUM_PATTERNS) if rng.random() < options.drums else None
    drawn_k = rng.randint(-5, 6)  # drawn always, so the other choices don't depend on --transpose
    if options.transpose == "none":
        k = 0
    elif options.transpose == "random":
        k = drawn_k
    elif options.transpose == "balanced":
        k = ((position % 12) - song.key.tonic + 5) % 12 - 5  # nearest shift to tonic position % 12
    else:
        k = int(options.transpose)
    return Arrangement(soundfont, programs, volumes, pans, drums, k,
                       reverb=rng.random() < 0.7, peak_db=rng.uniform(-6.0, -1.0))


def drum_track(song: Song, pattern: str, start: float, end: float, rng: random.Random):
    """A General MIDI drum part (channel 10) on the song's beats between start and end seconds."""
    import pretty_midi

    drums = pretty_midi.Instrument(program=0, is_drum=True, name="DRUMS")

    def hit(note: int, t: float, velocity: int) -> None:
        v = max(1, min(127, velocity + rng.randint(-8, 8)))
        drums.notes.append(pretty_midi.Note(velocity=v, pitch=note, start=t, end=t + 0.1))

    beats = [b for b in song.beats if start - 0.05 <= b[0] <= end]
    for i, (t, half_bar, bar) in enumerate(beats):
        next_t = beats[i + 1][0] if i + 1 < len(beats) else t + (t - beats[i - 1][0] if i else 0.5)
        offbeat = (t + next_t) / 2
        if i == 0 or (bar and i % 32 == 0):
            hit(CRASH, t, 100)
        if pattern == "four-on-the-floor":
            hit(KICK, t, 105)
            if not half_bar:
                hit(SNARE, t, 95)
            hit(OPEN_HAT, offbeat, 70)
        elif pattern == "half-time":
            if bar:
                hit(KICK, t, 105)
            elif half_bar:
                hit(SNARE, t, 100)
            hit(CLOSED_HAT, t, 75)
        else:  # backbeat
            if half_bar:
                hit(KICK, t, 105)
            else:
                hit(SNARE, t, 100)
            hit(CLOSED_HAT, t, 80)
            hit(CLOSED_HAT, offbeat, 60)
    return drums


def arrange_midi(song: Song, arrangement: Arrangement, seed: int):
    """The song's MIDI with the arrangement applied (programs, levels, transposition, drums)."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(song.midi))
    notes = [n for inst in midi.instruments for n in inst.notes]
    first, last = min(n.start for n in notes), max(n.end for n in notes)
    for inst in midi.instruments:
        role = inst.name.strip().upper()
        if role not in arrangement.programs:
            raise ValueError(f"{song.midi}: unexpected track {inst.name!r}")
        inst.program = arrangement.programs[role]
        inst.notes = [n for n in inst.notes if 0 <= n.pitch + arrangement.transpose <= 127]
        for n in inst.notes:
            n.pitch += arrangement.transpose
        inst.control_changes[:0] = [pretty_midi.ControlChange(7, arrangement.volumes[role], 0.0),
                                    pretty_midi.ControlChange(10, arrangement.pans[role], 0.0)]
    if arrangement.drums:
        rng = random.Random(f"{seed}:{song.number}:drums")
        midi.instruments.append(drum_track(song, arrangement.drums, first, last, rng))
    return midi


def run(command: list[str]) -> None:
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-800:]}")


def render(song: Song, arrangement: Arrangement, options: Options) -> dict:
    """Render one song to options.out; returns its row for renders.tsv."""
    import numpy as np
    import soundfile

    out_name = f"pop909-{song.name}.{options.format}"
    with tempfile.TemporaryDirectory(prefix=f"render-{song.name}-") as tmp:
        mid, wav, norm = Path(tmp, "song.mid"), Path(tmp, "song.wav"), Path(tmp, "norm.wav")
        arrange_midi(song, arrangement, options.seed).write(str(mid))
        reverb = "1" if arrangement.reverb else "0"
        run(["fluidsynth", "-ni", "-q", "-R", reverb, "-C", "0", "-F", str(wav), "-r", str(SAMPLE_RATE),
             "-g", str(options.gain), "-O", "float", "-T", "wav", str(arrangement.soundfont), str(mid)])
        audio, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)  # (samples, 2)
        if not np.any(audio):
            raise RuntimeError(f"{song.midi}: fluidsynth rendered silence")
        audio = _trim_silence(audio)
        peak = float(np.abs(audio).max())
        audio *= 10 ** (arrangement.peak_db / 20) / peak
        soundfile.write(str(norm), audio, rate, subtype="FLOAT")
        codec = ["-c:a", "libmp3lame", "-b:a", options.bitrate] if options.format == "mp3" else \
                ["-c:a", "flac", "-sample_fmt", "s16"]
        final = options.out / out_name
        partial = options.out / f".{out_name}.part"
        run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(norm), "-map_metadata", "-1",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", *codec, "-f", options.format, str(partial)])
        partial.replace(final)
        seconds = len(audio) / rate
    key = song.key.transposed(arrangement.transpose)
    return {
        "file": out_name, "key": key.name, "camelot": key.camelot, "song": song.name,
        "original_key": song.key.name, "transpose": arrangement.transpose,
        "soundfont": arrangement.soundfont.name,
        "melody": arrangement.programs["MELODY"], "bridge": arrangement.programs["BRIDGE"],
        "piano": arrangement.programs["PIANO"], "drums": arrangement.drums or "none",
        "reverb": int(arrangement.reverb), "peak_db": round(arrangement.peak_db, 2), "seconds": round(seconds, 2),
    }


def _trim_silence(audio):
    """Drop leading/trailing near-silence (below -70 dBFS of the peak), keeping 0.5 s either side."""
    import numpy as np

    level = np.abs(audio).max(axis=1)
    loud = np.flatnonzero(level > level.max() * 10 ** (-70 / 20))
    pad = SAMPLE_RATE // 2
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def parse_songs(spec: str) -> list[int]:
    """'001-060,100,120-125' → song numbers in order, without repeats."""
    numbers: list[int] = []
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        for n in range(int(low), int(high or low) + 1):
            if n not in numbers:
                numbers.append(n)
    return numbers


def midi_seconds(song: Song) -> float:
    import pretty_midi

    return pretty_midi.PrettyMIDI(str(song.midi)).get_end_time()


def _render_job(job: tuple[Song, Arrangement, Options]) -> dict:
    return render(*job)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", default="001-060", help="song numbers, e.g. 001-060,100 (default 001-060)")
    parser.add_argument("--count", type=int, help="stop after this many songs are selected")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--dataset", type=Path, default=DATASET, help=f"POP909 folder (default {DATASET})")
    parser.add_argument("--soundfonts", type=Path, nargs="+", default=SOUNDFONTS,
                        help="soundfonts to draw from (default: FluidR3_GM, TimGM6mb, MuseScore_General_Full)")
    parser.add_argument("--transpose", default="random",
                        help="random (k in -5..+6), balanced (tonics cycle), none, or a fixed K semitones")
    parser.add_argument("--drums", dest="drums", type=float, nargs="?", const=1.0, default=0.5, metavar="P",
                        help="add a drum track to a song with probability P (--drums alone: every song; default 0.5)")
    parser.add_argument("--no-drums", dest="drums", action="store_const", const=0.0, help="never add drums")
    parser.add_argument("--format", choices=["mp3", "flac"], default="mp3")
    parser.add_argument("--bitrate", default="192k", help="MP3 bit rate (default 192k, CBR)")
    parser.add_argument("--gain", type=float, default=0.4, help="fluidsynth -g (default 0.4; peaks are normalized after)")
    parser.add_argument("--min-seconds", type=float, default=0.0, help="skip songs whose MIDI is shorter")
    parser.add_argument("--max-seconds", type=float, default=float("inf"), help="skip songs whose MIDI is longer")
    parser.add_argument("--seed", type=int, default=909, help="seed of every random choice (default 909)")
    parser.add_argument("--jobs", type=int, default=1, help="songs rendered at once (default 1)")
    args = parser.parse_args()

    if args.transpose not in ("random", "balanced", "none"):
        try:
            int(args.transpose)
        except ValueError:
            parser.error(f"--transpose: expected random, balanced, none or an integer, got {args.transpose!r}")
    for sf in args.soundfonts:
        if not sf.is_file():
            parser.error(f"soundfont not found: {sf}")
    for tool in ("fluidsynth", "ffmpeg"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} not found on PATH")

    selected: list[Song] = []
    for number in parse_songs(args.songs):
        if args.count is not None and len(selected) >= args.count:
            break
        song = load_song(number, args.dataset)
        if song.key is None:
            print(f"skip {song.name}: {song.regions} key regions", file=sys.stderr)
            continue
        if args.min_seconds > 0 or args.max_seconds < float("inf"):
            length = midi_seconds(song)
            if not args.min_seconds <= length <= args.max_seconds:
                print(f"skip {song.name}: MIDI is {length:.0f} s", file=sys.stderr)
                continue
        selected.append(song)

    options = Options(args.out, tuple(args.soundfonts), args.transpose, args.drums, args.format,
                      args.bitrate, args.gain, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(song, plan(song, i, options), options) for i, song in enumerate(selected)]
    rows = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for row in pool.map(_render_job, jobs):
            print(f"{row['file']}\t{row['key']}\t{row['seconds']:.0f} s\t{row['soundfont']}\tdrums={row['drums']}",
                  file=sys.stderr)
            rows.append(row)

    with open(args.out / "labels.tsv", "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["file", "key", "camelot"])
        writer.writerows([r["file"], r["key"], r["camelot"]] for r in rows)
    with open(args.out / "renders.tsv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["file"], delimiter="\t",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"rendered {len(rows)} songs into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
