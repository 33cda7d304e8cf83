#!/usr/bin/env python3
"""Tests of check_links.py: each case is a broken link it must report or a link it must not.

    python3 -m unittest discover -s tools/docs -p 'test_*.py'
    python3 tools/docs/test_check_links.py
"""

import io
import subprocess
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_links  # noqa: E402

SCRIPT = Path(__file__).resolve().parent / "check_links.py"


class Slug(unittest.TestCase):
    """GitHub's heading ids, as github.com writes them for these headings."""

    def test_punctuation_is_dropped_and_spaces_become_hyphens(self):
        self.assertEqual(check_links.slug("Set up and run (Debian 12 with Swift 6)"),
                         "set-up-and-run-debian-12-with-swift-6")
        self.assertEqual(check_links.slug("Catalogues: a run on a Ray cluster"),
                         "catalogues-a-run-on-a-ray-cluster")
        self.assertEqual(check_links.slug("What's new? (2.1.0)"), "whats-new-210")

    def test_backticks_go_and_their_text_stays(self):
        self.assertEqual(check_links.slug("`keyscan serve`: openkeyscan-analyzer's protocol"),
                         "keyscan-serve-openkeyscan-analyzers-protocol")

    def test_hyphens_underscores_and_each_space_are_kept(self):
        self.assertEqual(check_links.slug("A -- B"), "a----b")
        self.assertEqual(check_links.slug("tuning_cents and reference_hz"),
                         "tuning_cents-and-reference_hz")

    def test_unicode_letters_and_digits_are_kept_lowercased(self):
        # ⁶ is a number (kept), · and the superscript minus ⁻ are not (dropped)
        self.assertEqual(check_links.slug("Über Größe 2·10⁻⁶"), "über-größe-210⁶")

    def test_links_and_emphasis_keep_only_their_text(self):
        self.assertEqual(check_links.slug("See [the *model* card](x.md) **now**"),
                         "see-the-model-card-now")


class Anchors(unittest.TestCase):
    def test_duplicate_headings_get_numbered(self):
        found = check_links.anchors("# Notes\n\n## Notes\n\n### Notes\n")
        self.assertEqual(found, {"notes", "notes-1", "notes-2"})

    def test_headings_in_code_blocks_are_not_headings(self):
        found = check_links.anchors("# Real\n\n```sh\n# on the head node\n```\n")
        self.assertEqual(found, {"real"})

    def test_setext_headings_count_and_table_rows_do_not(self):
        found = check_links.anchors("Title\n=====\n\n| a | b |\n|---|---|\n\nSub\n---\n")
        self.assertEqual(found, {"title", "sub"})


class CheckTree(unittest.TestCase):
    """A small documentation tree, checked the way the repository is."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        (self.root / "docs").mkdir()
        self.write("docs/usage.md", """\
            # Usage

            ## `--format`: JSON, JSON lines or CSV

            ## Notes

            ## Notes
            """)
        self.write("logo.png", "")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        (self.root / name).write_text(textwrap.dedent(text), encoding="utf-8")

    def run_checker(self, *files):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            status = check_links.main(["--root", str(self.root)] + [str(self.root / f) for f in files])
        return status, out.getvalue().splitlines()

    def test_good_links_pass(self):
        self.write("README.md", """\
            # keyscan

            [usage](docs/usage.md), [format](docs/usage.md#--format-json-json-lines-or-csv),
            [the second notes](docs/usage.md#notes-1), [top](#keyscan), [a folder](docs/),
            ![logo](logo.png), [home](https://example.org/missing.md), [mail](mailto:a@b.c)

            [ref]: docs/usage.md#usage
            """)
        status, out = self.run_checker("README.md")
        # 7 relative links checked; the two with a scheme are skipped
        self.assertEqual((status, out), (0, ["checked 7 links in 1 files"]))

    def test_missing_file_is_reported_with_its_line(self):
        self.write("README.md", "# keyscan\n\nSee [the report](docs/report.md).\n")
        status, out = self.run_checker("README.md")
        self.assertEqual(status, 1)
        self.assertEqual(out, ["README.md:3: docs/report.md (no such file)"])

    def test_missing_image_is_reported(self):
        self.write("README.md", "# keyscan\n\n![wheel](docs/wheel.svg)\n")
        self.assertEqual(self.run_checker("README.md")[1],
                         ["README.md:3: docs/wheel.svg (no such file)"])

    def test_missing_anchor_in_another_file_is_reported(self):
        self.write("README.md", "# keyscan\n\n[cache](docs/usage.md#cache)\n")
        status, out = self.run_checker("README.md")
        self.assertEqual(status, 1)
        self.assertEqual(out, ["README.md:3: docs/usage.md#cache "
                               "(no heading with anchor #cache in docs/usage.md)"])

    def test_missing_anchor_in_the_same_file_is_reported(self):
        self.write("docs/a.md", "# A\n\n[b](#b) and [a](#a)\n")
        self.assertEqual(self.run_checker("docs/a.md")[1],
                         ["docs/a.md:3: #b (no heading with anchor #b in this file)"])

    def test_slug_rules_decide_what_resolves(self):
        # the backticks and colon dropped, but not the hyphens: "--format-…", not "format-…";
        # a third "Notes" does not exist; anchors are case-sensitive, as ids are
        self.write("README.md", """\
            [a](docs/usage.md#format-json-json-lines-or-csv)
            [b](docs/usage.md#notes-2)
            [c](docs/usage.md#Notes)
            """)
        status, out = self.run_checker("README.md")
        self.assertEqual([line.split(" ")[0] for line in out],
                         ["README.md:1:", "README.md:2:", "README.md:3:"])

    def test_links_in_fenced_code_and_inline_code_are_ignored(self):
        self.write("README.md", """\
            # keyscan

            ```markdown
            [gone](nowhere.md)
            ```

            ~~~
            ![gone](nowhere.png)
            ~~~

            Write `[text](nowhere.md)` or ``a `[x](y.md)` b``.
            [real](nowhere-either.md)
            """)
        status, out = self.run_checker("README.md")
        self.assertEqual(out, ["README.md:12: nowhere-either.md (no such file)"])

    def test_link_text_over_two_lines_is_found(self):
        self.write("README.md", "# keyscan\n\nsee [the\nguide](docs/guide.md)\n")
        self.assertEqual(self.run_checker("README.md")[1],
                         ["README.md:4: docs/guide.md (no such file)"])

    def test_command_line_exit_status_and_output(self):
        self.write("README.md", "[x](docs/missing.md)\n")
        run = subprocess.run([sys.executable, str(SCRIPT), "--root", str(self.root),
                              str(self.root / "README.md")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stdout, "README.md:1: docs/missing.md (no such file)\n")


if __name__ == "__main__":
    unittest.main()
