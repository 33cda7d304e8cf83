"""Unit test of timeline_oracle.py (numpy only): column and oracle scores on hand-made logits.

    python -m unittest discover -s tools/evaluation -p 'test_*.py'
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import camelot  # noqa: E402
import timeline_oracle  # noqa: E402

A_MINOR, C_MAJOR, D_MAJOR = camelot.from_camelot("8A"), camelot.from_camelot("8B"), camelot.from_camelot("10B")


def logits(keys: list[camelot.Key]) -> np.ndarray:
    """One column per key, that key's logit 5 and the others 0."""
    z = np.zeros((len(keys), 24))
    for j, key in enumerate(keys):
        z[j, [camelot.from_index(i) for i in range(24)].index(key)] = 5.0
    return z


class TimelineOracle(unittest.TestCase):
    def test_scores(self):
        # Song "m": 16 s of A minor, then 16 s of D major (10 columns each). Its columns say
        # C major (the relative major) for 6 of the minor ones, D major for all the rest.
        # Song "s": one key, C major, every column right.
        regions = {"m.mp3": [(0.0, 16.0, A_MINOR), (16.0, 32.0, D_MAJOR)],
                   "s.mp3": [(0.0, 16.0, C_MAJOR)]}
        z = {"m.mp3": logits([C_MAJOR] * 6 + [A_MINOR] * 4 + [D_MAJOR] * 10),
             "s.mp3": logits([C_MAJOR] * 10)}
        scores = timeline_oracle.score(regions, z)

        multi = scores["multi"]
        self.assertEqual(multi["columns"], 20)
        self.assertAlmostEqual(multi["column_exact"], 14 / 20)
        # The A minor region's mean logits favour C major (6 columns against 4): wrong, 16 s
        # of 32; the D major region right.
        self.assertAlmostEqual(multi["oracle_exact"], 0.5)
        self.assertAlmostEqual(multi["minor_wrong"], 1.0)
        self.assertAlmostEqual(multi["major_wrong"], 0.0)
        self.assertAlmostEqual(multi["minor_share"], 0.5)
        self.assertEqual(multi["confusions"], [("+3 min→maj", 6)])

        single = scores["single"]
        self.assertEqual((single["column_exact"], single["oracle_exact"]), (1.0, 1.0))
        self.assertIsNone(single["minor_wrong"])
        self.assertEqual(single["confusions"], [])


if __name__ == "__main__":
    unittest.main()
