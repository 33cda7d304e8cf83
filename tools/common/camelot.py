"""Key notation shared by the tools: Camelot codes, key names, KeyNet class indices, MIREX score.

A key is a `Key(tonic, minor)` with tonic a pitch class (C = 0 … B = 11). KeyNet's 24 outputs
are in Camelot order (shared/reference/README.md): index i < 12 is Camelot (i+1)A, a minor key;
index i >= 12 is (i-11)B, a major key. Going one step clockwise on the wheel raises the tonic
by a fifth (7 semitones); 1A is Ab minor and 1B is B major.

Run as a script it prints the 24 keys with their codes, as a check of the tables.
"""

from __future__ import annotations

import argparse
import re
from typing import NamedTuple

# Spelling used for printed names: the Camelot wheel's usual one (F# major, Db major, Ab minor,
# Eb minor, Bb minor, F# minor, Db minor), so names round-trip through `parse_key`.
MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MINOR_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Tonic of Camelot 1A (Ab) and 1B (B); every further number adds a fifth.
_FIRST_MINOR_TONIC = 8
_FIRST_MAJOR_TONIC = 11


class Key(NamedTuple):
    """A musical key: tonic pitch class (C = 0 … B = 11) and mode."""

    tonic: int
    minor: bool

    @property
    def camelot(self) -> str:
        """Camelot code, e.g. "8A" for A minor, "8B" for C major."""
        first = _FIRST_MINOR_TONIC if self.minor else _FIRST_MAJOR_TONIC
        number = ((self.tonic - first) * 7) % 12 + 1  # 7 is its own inverse mod 12
        return f"{number}{'A' if self.minor else 'B'}"

    @property
    def index(self) -> int:
        """KeyNet class index in Camelot order (0 = 1A … 11 = 12A, 12 = 1B … 23 = 12B)."""
        number = int(self.camelot[:-1])
        return number - 1 if self.minor else number + 11

    @property
    def name(self) -> str:
        """Readable name, e.g. "A minor", "Db major"."""
        names = MINOR_NAMES if self.minor else MAJOR_NAMES
        return f"{names[self.tonic]} {'minor' if self.minor else 'major'}"

    def transposed(self, semitones: int) -> "Key":
        """The same mode with the tonic moved by `semitones`."""
        return Key((self.tonic + semitones) % 12, self.minor)


def pitch_class(note: str) -> int:
    """Pitch class of a note name such as "C", "F#", "Gb", "cb" (case-insensitive)."""
    match = re.fullmatch(r"([A-Ga-g])([#b♯♭]*)", note.strip())
    if not match:
        raise ValueError(f"not a note name: {note!r}")
    letter, accidentals = match.groups()
    shift = sum(1 if a in "#♯" else -1 for a in accidentals)
    return (_PITCH[letter.upper()] + shift) % 12


def from_index(index: int) -> Key:
    """Key for a KeyNet class index in Camelot order."""
    if not 0 <= index < 24:
        raise ValueError(f"class index {index} outside 0..23")
    return from_camelot(f"{index % 12 + 1}{'A' if index < 12 else 'B'}")


def from_camelot(code: str) -> Key:
    """Key for a Camelot code such as "8A" or "12b"."""
    match = re.fullmatch(r"(1[0-2]|[1-9])([ABab])", code.strip())
    if not match:
        raise ValueError(f"not a Camelot code: {code!r}")
    number, letter = int(match.group(1)), match.group(2).upper()
    minor = letter == "A"
    first = _FIRST_MINOR_TONIC if minor else _FIRST_MAJOR_TONIC
    return Key((first + 7 * (number - 1)) % 12, minor)


def parse_key(text: str) -> Key:
    """Key from a Camelot code ("8A"), a name ("A minor", "Gb major", "Am") or POP909's "Gb:maj"."""
    text = text.strip()
    if re.fullmatch(r"(1[0-2]|[1-9])[ABab]", text):
        return from_camelot(text)
    match = re.fullmatch(r"([A-Ga-g][#b♯♭]*)\s*[: ]?\s*(major|minor|maj|min|m)?", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a key: {text!r}")
    mode = (match.group(2) or "major").lower()
    return Key(pitch_class(match.group(1)), mode in ("minor", "min", "m"))


def mirex_score(estimate: Key, reference: Key) -> float:
    """MIREX weighted score of an estimate against the reference key.

    1 for the same key, 0.5 for a fifth (same mode, tonic 7 semitones up or down, i.e. Camelot
    ±1 with the same letter), 0.3 for the relative key (same Camelot number, other letter),
    0.2 for the parallel key (same tonic, other mode), else 0. The fifth counts in both
    directions, as in the MIREX key task; mir_eval counts only the fifth above.
    """
    if estimate == reference:
        return 1.0
    interval = (estimate.tonic - reference.tonic) % 12
    if estimate.minor == reference.minor:
        return 0.5 if interval in (5, 7) else 0.0
    if estimate.camelot[:-1] == reference.camelot[:-1]:
        return 0.3
    if interval == 0:
        return 0.2
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    for index in range(24):
        key = from_index(index)
        assert key.index == index and parse_key(key.name) == key and parse_key(key.camelot) == key
        print(f"{index:2d}  {key.camelot:>3}  {key.name}")


if __name__ == "__main__":
    main()
