"""Key-estimation scores shared by train_keynet.py and evaluate.py: error categories, MIREX.

An estimate falls in exactly one category relative to the reference key:

  correct      same tonic and mode
  dominant     same mode, tonic a fifth above the reference (Camelot +1, same letter)
  subdominant  same mode, tonic a fifth below (Camelot −1, same letter)
  relative     other mode, same Camelot number (C major ↔ A minor)
  parallel     other mode, same tonic (C major ↔ C minor)
  other        anything else
  failed       no estimate (the system failed on the file); scored 0, so that every system
               is scored on the same files

MIREX weights: correct 1.0, fifth 0.5, relative 0.3, parallel 0.2, other 0. Two conventions
for "fifth" are in use, so both are computed: `mirex` counts the dominant only (mir_eval's
`weighted_score`), `mirex_both` counts the dominant or the subdominant (camelot.mirex_score,
the MIREX task's wording). Both require the same mode.

Run as a script it checks the categories against camelot.mirex_score for all 24 × 24 pairs.
"""

from __future__ import annotations

import argparse
from collections import Counter

import camelot

CATEGORIES = ("correct", "dominant", "subdominant", "relative", "parallel", "other", "failed")
WEIGHTS_DOMINANT = {"correct": 1.0, "dominant": 0.5, "subdominant": 0.0, "relative": 0.3, "parallel": 0.2,
                    "other": 0.0, "failed": 0.0}
WEIGHTS_BOTH = dict(WEIGHTS_DOMINANT, subdominant=0.5)


def category(estimate: camelot.Key | None, reference: camelot.Key) -> str:
    """Which kind of error `estimate` is for `reference` (one of CATEGORIES)."""
    if estimate is None:
        return "failed"
    if estimate == reference:
        return "correct"
    interval = (estimate.tonic - reference.tonic) % 12
    if estimate.minor == reference.minor:
        return {7: "dominant", 5: "subdominant"}.get(interval, "other")
    if estimate.camelot[:-1] == reference.camelot[:-1]:
        return "relative"
    return "parallel" if interval == 0 else "other"


def category_index(estimate: int, reference: int) -> str:
    """category() for two KeyNet class indices (Camelot order)."""
    return category(camelot.from_index(estimate), camelot.from_index(reference))


def summarize(pairs: list[tuple[camelot.Key | None, camelot.Key]]) -> dict:
    """Scores of (estimate or None, reference) pairs: n, exact, mirex, mirex_both (fractions 0–1),
    counts per category, accuracy per mode and per reference key (Camelot code → n, correct)."""
    counts = Counter(category(e, r) for e, r in pairs)
    n = len(pairs)
    by_mode: dict[str, list[int]] = {"major": [0, 0], "minor": [0, 0]}
    by_key: dict[str, list[int]] = {}
    for estimate, reference in pairs:
        hit = int(estimate == reference)
        mode = by_mode["minor" if reference.minor else "major"]
        mode[0] += 1
        mode[1] += hit
        key = by_key.setdefault(reference.camelot, [0, 0])
        key[0] += 1
        key[1] += hit

    def rate(total: int, good: int) -> float | None:
        return good / total if total else None

    return {
        "n": n,
        "exact": rate(n, counts["correct"]),
        "mirex": rate(n, sum(WEIGHTS_DOMINANT[c] * k for c, k in counts.items())),
        "mirex_both": rate(n, sum(WEIGHTS_BOTH[c] * k for c, k in counts.items())),
        "counts": {c: counts.get(c, 0) for c in CATEGORIES},
        "per_mode": {m: {"n": t, "correct": g, "accuracy": rate(t, g)} for m, (t, g) in by_mode.items()},
        "per_key": {k: {"n": t, "correct": g, "accuracy": rate(t, g)}
                    for k, (t, g) in sorted(by_key.items(), key=lambda item: camelot.from_camelot(item[0]).index)},
    }


def summarize_indices(estimates, references) -> dict:
    """summarize() for sequences of KeyNet class indices."""
    return summarize([(camelot.from_index(int(e)), camelot.from_index(int(r))) for e, r in zip(estimates, references)])


def _self_check() -> None:
    for i in range(24):
        for j in range(24):
            e, r = camelot.from_index(i), camelot.from_index(j)
            c = category(e, r)
            assert WEIGHTS_BOTH[c] == camelot.mirex_score(e, r), (e, r, c)
    c_major, a_minor = camelot.parse_key("C major"), camelot.parse_key("A minor")
    assert category(camelot.parse_key("G major"), c_major) == "dominant"
    assert category(camelot.parse_key("F major"), c_major) == "subdominant"
    assert category(a_minor, c_major) == "relative" and category(c_major, a_minor) == "relative"
    assert category(camelot.parse_key("C minor"), c_major) == "parallel"
    assert category(camelot.parse_key("E minor"), a_minor) == "dominant"
    s = summarize([(camelot.parse_key("G major"), c_major), (c_major, c_major), (camelot.parse_key("F major"), c_major)])
    assert abs(s["mirex"] - 1.5 / 3) < 1e-12 and abs(s["mirex_both"] - 2.0 / 3) < 1e-12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    _self_check()
    print("key_metrics: 576 key pairs agree with camelot.mirex_score")


if __name__ == "__main__":
    main()
