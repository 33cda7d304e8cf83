"""Unit tests of the training tools' data and scoring functions (numpy only, no torch):
local key labels, synthetic modulations, the AUROC of calibrate.py.

    python -m unittest discover -s tools/training -p 'test_*.py'
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import calibrate  # noqa: E402
import camelot  # noqa: E402
import train_keynet as t  # noqa: E402

F_MAJOR, G_MAJOR, A_MINOR = 18, 20, 7  # class indices: 7B, 9B, 8A


class RampStore:
    """Examples whose every frame holds its own index (frame number × 1000 + example):
    a crop shows where it came from."""

    def __init__(self, examples):
        self.examples = examples

    def crop(self, i, start, length):
        frames = np.arange(start, start + length, dtype=np.float32)
        return np.tile(frames * 1000 + i, (t.BINS, 1))


def modulating(frames=300, change=160):
    return t.Example("m.npy", F_MAJOR, "m", "train", frames, "", "mod", ((0, change, F_MAJOR), (change, frames, G_MAJOR)))


class LocalLabels(unittest.TestCase):
    def test_regions_cell_parses_to_frames(self):
        self.assertEqual(t.parse_regions("0.000-32.209:18;32.209-60.000:9B"), ((0, 161, 18), (161, 300, 20)))
        self.assertEqual(t.parse_regions(""), ())
        with self.assertRaises(ValueError):
            t.parse_regions("0-10")

    def test_frames_near_a_change_are_unscored(self):
        labels = t.frame_labels(modulating(), 150, 20, margin=3)
        self.assertEqual(labels.tolist(), [F_MAJOR] * 8 + [-1] * 5 + [G_MAJOR] * 7)  # |frame − 160| < 3

    def test_single_key_examples_label_every_frame(self):
        example = t.Example("a.npy", A_MINOR, "a", "train", 100, "", "x")
        self.assertEqual(set(t.frame_labels(example, 10, 40, margin=10).tolist()), {A_MINOR})

    def test_a_column_takes_its_centre_frame(self):
        frames = np.array([1] * 12 + [2] * 12)
        self.assertEqual(t.column_targets(frames).tolist(), [1, 2, 2])  # centres 4, 12, 20

    def test_a_crop_spanning_a_change_has_no_track_label(self):
        self.assertEqual(t.crop_key(t.frame_labels(modulating(), 100, 120, 5)), -1)
        self.assertEqual(t.crop_key(t.frame_labels(modulating(), 170, 120, 5)), G_MAJOR)


class Batches(unittest.TestCase):
    def test_plain_crops_move_their_labels_with_the_shift(self):
        store = RampStore([t.Example("a.npy", A_MINOR, "a", "train", 400, "", "x")] * 4)
        x, y, shifts, columns = t.make_batch(store, [0, 1, 2, 3], np.random.default_rng(1), 80, 200, 3)
        for k in range(4):
            expected = camelot.from_index(A_MINOR).transposed(int(shifts[k])).index
            self.assertEqual(y[k], expected)
            self.assertEqual(set(columns[k].tolist()), {expected})
        self.assertEqual(columns.shape[1], x.shape[3] // 8)

    def test_splices_are_scored_by_column_only(self):
        examples = [t.Example("a.npy", A_MINOR, "a", "train", 400, "", "x"),
                    t.Example("b.npy", G_MAJOR, "b", "train", 400, "", "x")]
        store = RampStore(examples)
        for seed in range(20):
            x, y, shifts, columns = t.make_batch(store, [0, 1], np.random.default_rng(seed), 160, 160, 0,
                                                 margin=8, splice=1.0)
            self.assertTrue((y == -1).all())
            for k in range(2):
                row = x[k, 0, 52]  # a middle bin: no shift of ±6 semitones vacates it
                sources = row % 1000  # which example each frame came from
                steps = np.flatnonzero(np.diff(row) != 1000)  # where the crop jumps
                self.assertEqual(len(steps), 1, "one cut per spliced crop")
                cut = int(steps[0]) + 1
                centres = np.arange(columns.shape[1]) * 8 + 4
                near = np.abs(centres - cut) < 8
                self.assertTrue((columns[k][near] == -1).all())
                first = camelot.from_index(int(examples[int(sources[0])].label)).index
                self.assertTrue((columns[k][centres < cut - 8] == first).all())
                if sources[0] == sources[-1]:  # the same music at another shift: another key
                    self.assertTrue((columns[k][centres >= cut + 8] != first).all())
                    self.assertTrue((columns[k][centres >= cut + 8] >= 0).all())

    def test_unlabelled_examples_get_no_targets(self):
        store = RampStore([t.Example("u.npy", -1, "u", "train", 300, "", "real")])
        _, y, _, columns = t.make_batch(store, [0], np.random.default_rng(0), 80, 80, 2, margin=8, splice=1.0)
        self.assertEqual(y.tolist(), [-1])
        self.assertTrue((columns == -1).all())


class Auroc(unittest.TestCase):
    def test_separation(self):
        right = np.array([True, True, False, False])
        self.assertEqual(calibrate.auroc(np.array([0.9, 0.8, 0.3, 0.2]), right), 1.0)
        self.assertEqual(calibrate.auroc(np.array([0.2, 0.3, 0.8, 0.9]), right), 0.0)
        self.assertEqual(calibrate.auroc(np.array([0.5, 0.5, 0.5, 0.5]), right), 0.5)
        self.assertAlmostEqual(calibrate.auroc(np.array([0.9, 0.4, 0.5, 0.2]), right), 0.75)
        self.assertIsNone(calibrate.auroc(np.array([0.9, 0.4]), np.array([True, True])))


if __name__ == "__main__":
    unittest.main()
