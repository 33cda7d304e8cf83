"""The plugin's pure parts, against beets' own types. The plugin end to end,
through the beet CLI and real keyscan runs, is tested by ../test_beets.sh."""

import os
import unicodedata

import pytest
from beets.dbcore import types
from beets.library import Item

from beetsplug.keyscan import KeyResult, paths_to_send, standard_short

# keyscan's 24 key names (Sources/KeyscanResults/MusicalKey.swift).
TONICS = {
    "major": ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
    "minor": ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
}
PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch_class(tonic: str) -> int:
    shift = {"#": 1, "b": -1}.get(tonic[1:], 0)
    return (PITCH[tonic[0].upper()] + shift) % 12


@pytest.mark.parametrize("mode", ["major", "minor"])
@pytest.mark.parametrize("index", range(12))
def test_initial_key_keeps_the_key(mode: str, index: int) -> None:
    # What beets stores must name the same key as keyscan's name: beets'
    # MusicalKey type respells flats as sharps, and given keyscan's long name
    # it would turn "F# minor" into "Fm".
    name = f"{TONICS[mode][index]} {mode}"
    stored = types.MusicalKey().normalize(standard_short(name))
    minor = stored.endswith("m")
    tonic = stored[:-1] if minor else stored
    assert (pitch_class(tonic), minor) == (index, mode == "minor"), (name, stored)
    assert "b" not in tonic  # beets' spelling: sharps only


def test_camelot_is_stored_lower_case() -> None:
    # docs/beets.md says so: beets' type lower-cases "8A"; Open Key is unchanged.
    assert types.MusicalKey().normalize("8A") == "8a"
    assert types.MusicalKey().normalize("10d") == "10d"


def test_standard_short_rejects_what_is_not_a_key_name() -> None:
    for bad in ["A", "A dorian", " minor", ""]:
        with pytest.raises(ValueError):
            standard_short(bad)


GOOD = {
    "path": "x.mp3",
    "status": "ok",
    "key": "F# minor",
    "camelot": "11A",
    "openkey": "4m",
    "confidence": 0.9939,
    "tuning_cents": -0.5,
    "key_changes": 0,
}


def test_key_result_notations() -> None:
    found = KeyResult.from_json(GOOD)
    assert [found.notated(n) for n in ("standard", "camelot", "openkey")] == [
        "F#m",
        "11A",
        "4m",
    ]
    assert (found.confidence, found.tuning_cents, found.key_changes) == (
        0.9939,
        -0.5,
        0,
    )


@pytest.mark.parametrize(
    "change",
    [{"tuning_cents": None}, {"camelot": ""}, {"confidence": "high"}, {"key": 7}],
)
def test_key_result_rejects_a_malformed_result(change: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        KeyResult.from_json({**GOOD, **change})


def test_key_result_rejects_a_result_without_a_field() -> None:
    # An older keyscan has no tuning_cents or key_changes: nothing is stored.
    for field in ["tuning_cents", "key_changes"]:
        with pytest.raises(KeyError):
            KeyResult.from_json({k: v for k, v in GOOD.items() if k != field})


def test_paths_to_send(tmp_path) -> None:
    music = tmp_path / "music"
    links = tmp_path / "links"
    music.mkdir()
    links.mkdir()
    plain = music / "a.mp3"
    plain.write_bytes(b"a")
    (music / "link.mp3").symlink_to(plain)
    nfd = music / unicodedata.normalize("NFD", "café.mp3")
    nfd.write_bytes(b"c")
    latin1 = os.fsencode(music) + b"/caf\xe9.mp3"
    with open(latin1, "wb") as f:
        f.write(b"b")

    items = [
        Item(path=os.fsencode(plain)),
        Item(path=os.fsencode(music / "link.mp3")),
        Item(path=os.fsencode(nfd)),
        Item(path=latin1),
    ]
    by_path = paths_to_send(items, str(links))

    # One path per file: the link's item rides on its target's result.
    assert by_path[str(plain)] == items[:2]
    # A UTF-8 name goes as it is, decomposed accents included.
    assert by_path[str(nfd)] == [items[2]]
    # A name that is not UTF-8 goes as a symlink with a plain name.
    (sent,) = [p for p, group in by_path.items() if group == [items[3]]]
    assert os.path.dirname(sent) == str(links)
    assert os.readlink(sent) == os.fsdecode(latin1)
    assert len(by_path) == 3
