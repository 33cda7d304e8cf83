"""Unit test of real_confidence.py (numpy only): joining keyscan's results with evaluate's
stand-in keys, and the numbers it reports.

    python -m unittest discover -s tools/evaluation -p 'test_*.py'
"""

from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_confidence  # noqa: E402


class RealConfidence(unittest.TestCase):
    def test_join_and_summary(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp, "val")
            folder.mkdir()
            files = {"a.ogg": ("8A", 0.95, "8A", "8A"), "b.ogg": ("8A", 0.8, "8A", "5A"),
                     "c.ogg": ("1B", 0.2, "2B", "2B"), "d.ogg": ("3B", 0.6, "3B", "3B")}
            per_file, lines = {}, []
            for name, (ours, confidence, reference, essentia) in files.items():
                (folder / name).write_bytes(b"")
                per_file[name] = {"ours": ours, "reference": reference, "essentia": essentia}
                lines.append(json.dumps({"path": str(folder / name), "status": "ok", "camelot": ours,
                                         "confidence": confidence}))
            lines.append(json.dumps({"path": str(folder / "e.ogg"), "status": "error"}))  # not in both: left out
            evaluate = Path(tmp, "eval.json")
            evaluate.write_text(json.dumps({"unlabeled": [{"name": "val", "path": str(folder), "per_file": per_file}]}))
            results = Path(tmp, "keys.jsonl")
            results.write_text("\n".join(lines) + "\n")
            rows = real_confidence.load(results, evaluate, None)
            s = real_confidence.summarize(rows)
        self.assertEqual(s["files"], 4)
        self.assertEqual(s["agreement"], 0.75)
        self.assertEqual(s["auroc"], 1.0)  # the one disagreement has the lowest confidence
        self.assertEqual(s["consensus_files"], 3)
        self.assertAlmostEqual(s["agreement_where_consensus"], 2 / 3)
        self.assertEqual(s["all_three_agree"], 2)
        self.assertAlmostEqual(s["mean_confidence_all_three_agree"], (0.95 + 0.6) / 2)
        self.assertEqual([b["files"] for b in s["bands"]], [1, 0, 1, 1, 1])


if __name__ == "__main__":
    unittest.main()
