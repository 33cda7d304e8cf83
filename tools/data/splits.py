"""The fixed split between KeyNet's training data and its held-out test data.

Every data tool imports this module, so a song, an instrument, a soundfont or an MMA groove is
on one side of the line only. The split is decided by fixed numbers and by hashes of names,
never by a random generator or the order in which files are found, so it is the same on every
machine and does not move when a tool renders a subset.

  POP909 songs      001-160 held out (the 130 of them with a single key region are rendered);
                    161-700 training, of which a fixed 5 % (27 songs, chosen by a hash of the
                    song number) is the validation split for early stopping.
  Soundfonts        training: FluidR3_GM, TimGM6mb; held out: MuseScore_General_Full.
  GM programs       in each General MIDI family of 8, the even programs train and the odd ones
                    are held out, so a held-out piano part is still a piano (Bright Acoustic,
                    Honky-tonk, Electric Piano 2, Clavinet). Programs that sound no single
                    pitch or add one (Guitar Harmonics, Timpani, Orchestra Hit, Lead 6 fifths)
                    and the Synth Effects, Percussive and Sound Effects families are used by
                    neither; MMA parts are moved to the side's nearest program in their family
                    (remap_program).
  MMA grooves       whole styles held out: a groove file's style is its name without library or
                    trailing number (casio/8beat2 and pflib/8beat1 are both "8beat"); a style
                    is held out when the SHA-256 of its name is 0 mod 5: 53 of the 232 usable
                    groove files (39 of 180 styles). Not used: the zoom library (drum machine
                    patterns only), the metronome and "none" files, and intro, ending and fill
                    grooves.
  MMA validation    training excerpts whose round (index // 24) is 19 mod 20: 5 %, one per key
                    in every 480.

Run as a script it prints the split (songs, programs, groove files per side).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
from functools import lru_cache
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
SHARED = TOOLS.parents[1] / "shared"
DATASET = SHARED / "datasets" / "pop909-train"

HELDOUT_SONGS = range(1, 161)  # 001-160
TRAIN_SONGS = range(161, 701)  # 161-700
VALIDATION_FRACTION = 0.05

TRAIN, VALIDATION, HELDOUT = "train", "validation", "heldout"

SOUNDFONTS = {
    TRAIN: (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2")),
    HELDOUT: (Path("/usr/share/sounds/sf3/MuseScore_General_Full.sf3"),),
}

# General MIDI families: 8 consecutive programs each (0-based program numbers).
GM_FAMILIES = {
    "piano": 0, "chromatic": 8, "organ": 16, "guitar": 24, "bass": 32, "strings": 40,
    "ensemble": 48, "brass": 56, "reed": 64, "pipe": 72, "synth-lead": 80, "synth-pad": 88,
    "synth-fx": 96, "ethnic": 104, "percussive": 112, "sound-fx": 120,
}
# No single clear pitch (31 Guitar Harmonics, 47 Timpani, 55 Orchestra Hit) or an added one
# (86 Lead 6 "fifths" doubles every note a fifth up, which changes the pitch classes).
EXCLUDED_PROGRAMS = frozenset({31, 47, 55, 86}) | frozenset(range(96, 104)) | frozenset(range(112, 128))
# Where a part written for an excluded family goes (MMA grooves sometimes use them).
FAMILY_STANDIN = {"synth-fx": "synth-pad", "percussive": "chromatic", "sound-fx": "synth-pad"}

MMA_LIBRARY = Path("/usr/share/mma/lib")
# Groove files that are not accompaniment in a key: click tracks and silence. The zoom library
# is drum machine patterns only (no bass, chord or arpeggio part), so it is left out whole.
EXCLUDED_GROOVE_FILES = frozenset({
    "stdlib/metronome", "stdlib/metronome3", "stdlib/metronome6", "stdlib/metronome68", "stdlib/none",
})
EXCLUDED_GROOVE_LIBRARIES = frozenset({"zoom"})
# Grooves that only start or end a song, fill a bar or count in. Case matters: the library
# writes them "...Intro", "...End", "...FillA", and "DescendingJazz" is a main groove.
_NOT_A_MAIN_GROOVE = re.compile(r"Intro|End|Fill|Break|Metronome|INTRO|END|FILL|BREAK|METRONOME")


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:16], 16)


# --- POP909 songs -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def validation_songs() -> frozenset[int]:
    """The 5 % of training songs kept for validation: the lowest SHA-256 of 'validation:NNN'."""
    ranked = sorted(TRAIN_SONGS, key=lambda n: _hash(f"validation:{n:03d}"))
    return frozenset(ranked[:round(len(TRAIN_SONGS) * VALIDATION_FRACTION)])


def song_split(number: int) -> str:
    """TRAIN, VALIDATION or HELDOUT for a POP909 song number (1-700)."""
    if number in HELDOUT_SONGS:
        return HELDOUT
    if number in TRAIN_SONGS:
        return VALIDATION if number in validation_songs() else TRAIN
    raise ValueError(f"POP909 song {number} is outside 1-700 (the songs in {DATASET})")


def key_regions(number: int, dataset: Path = DATASET) -> list[tuple[float, float, str]]:
    """A song's key regions from key_audio.txt: (start s, end s, POP909 key such as 'Gb:maj')."""
    lines = (dataset / f"{number:03d}" / "key_audio.txt").read_text().splitlines()
    return [(float(s), float(e), k) for s, e, k in (line.split() for line in lines if line.strip())]


def heldout_songs(dataset: Path = DATASET) -> list[int]:
    """Held-out songs that qualify: those with a single key region (130 of 001-160)."""
    return [n for n in HELDOUT_SONGS if len(key_regions(n, dataset)) == 1]


def split_of_set(name: str) -> str:
    """The side of the split a data set belongs to: 'train' or 'heldout'."""
    if name not in (TRAIN, HELDOUT):
        raise ValueError(f"unknown set {name!r}: expected {TRAIN} or {HELDOUT}")
    return name


# --- General MIDI programs --------------------------------------------------------------------

def family_of(program: int) -> str:
    """The General MIDI family of a 0-based program number."""
    if not 0 <= program < 128:
        raise ValueError(f"MIDI program {program} outside 0..127")
    return next(f for f, first in GM_FAMILIES.items() if first <= program < first + 8)


def programs(side: str, family: str) -> tuple[int, ...]:
    """Programs of a family that a side may use: even programs train, odd ones are held out."""
    first = GM_FAMILIES[family]
    parity = 0 if split_of_set(side) == TRAIN else 1
    return tuple(p for p in range(first, first + 8) if p % 2 == parity and p not in EXCLUDED_PROGRAMS)


def remap_program(program: int, side: str, rng: random.Random) -> int:
    """A program `side` may use in place of `program`: 70 % of the time the nearest one in the
    same family (the program itself when allowed, else a neighbour: Tuba → Trombone or Muted
    Trumpet), otherwise any of the family. Excluded families go to their stand-in family."""
    family = family_of(program)
    if family in FAMILY_STANDIN:
        return rng.choice(programs(side, FAMILY_STANDIN[family]))
    allowed = programs(side, family)
    if rng.random() < 0.7:
        nearest = min(abs(p - program) for p in allowed)
        return rng.choice([p for p in allowed if abs(p - program) == nearest])
    return rng.choice(allowed)


# --- MMA grooves ------------------------------------------------------------------------------

def groove_style(name: str) -> str:
    """A groove file's style: 'casio/8beat2' → '8beat', 'stdlib/rock-128' → 'rock'."""
    stem = name.rsplit("/", 1)[-1].lower()
    return re.sub(r"[-_]?\d+$", "", stem) or stem


def groove_side(name: str) -> str:
    """HELDOUT for about 20 % of styles (SHA-256 of the style is 0 mod 5), else TRAIN."""
    return HELDOUT if _hash(f"groove:{groove_style(name)}") % 5 == 0 else TRAIN


@lru_cache(maxsize=None)
def groove_files(library: Path = MMA_LIBRARY) -> tuple[str, ...]:
    """Every usable groove file in MMA's library as 'lib/stem', sorted."""
    names = sorted(f"{p.parent.name}/{p.stem}" for p in library.glob("*/*.mma"))
    return tuple(n for n in names if n not in EXCLUDED_GROOVE_FILES and n.split("/")[0] not in EXCLUDED_GROOVE_LIBRARIES)


def grooves_for(side: str, library: Path = MMA_LIBRARY) -> tuple[str, ...]:
    """Groove files a side may use."""
    split_of_set(side)
    return tuple(n for n in groove_files(library) if groove_side(n) == side)


@lru_cache(maxsize=None)
def main_grooves(name: str, library: Path = MMA_LIBRARY) -> tuple[str, ...]:
    """The grooves a file defines (its DefGroove names), without intros, endings and fills."""
    text = (library / f"{name}.mma").read_text(errors="replace")
    found = re.findall(r"^\s*DefGroove\s+(\S+)", text, re.IGNORECASE | re.MULTILINE)
    return tuple(dict.fromkeys(g for g in found if not _NOT_A_MAIN_GROOVE.search(g)))


def mma_is_validation(index: int) -> bool:
    """Whether training MMA excerpt `index` (0-based, keys cycling fastest) is for validation."""
    return (index // 24) % 20 == 19


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    held = heldout_songs()
    print(f"held-out POP909 songs ({len(held)} of {len(HELDOUT_SONGS)} have one key region): "
          + " ".join(f"{n:03d}" for n in held))
    print(f"validation songs ({len(validation_songs())}): " + " ".join(f"{n:03d}" for n in sorted(validation_songs())))
    for side in (TRAIN, HELDOUT):
        print(f"\n{side} soundfonts: " + ", ".join(p.name for p in SOUNDFONTS[side]))
        for family in GM_FAMILIES:
            if family not in FAMILY_STANDIN:
                print(f"  {family:<11} {' '.join(str(p) for p in programs(side, family))}")
        grooves = grooves_for(side)
        print(f"{side} groove files ({len(grooves)}, {len({groove_style(g) for g in grooves})} styles): "
              + " ".join(grooves))


if __name__ == "__main__":
    main()
