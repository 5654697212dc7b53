"""tests/data/anchors mirrors ../shared/anchors for the files the README's reproduction claims rest
on, so a clone alone verifies them; where ../shared is present the copies must be identical."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "anchors"
SHARED = HERE.parents[1] / "shared" / "anchors"


def test_every_copied_file_is_listed_by_a_sources_file():
    assert (HERE / "data" / "SOURCES.md").is_file()
    for folder in ("bdm", "ktab", "decide"):
        assert (DATA / folder / "SOURCES.md").is_file()
    assert (DATA / "decide" / "COPYING").is_file()  # the GPL-3.0 text for Decide's example data


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present: nothing to compare with")
def test_copies_equal_the_shared_anchors():
    copied = [p for p in DATA.rglob("*") if p.is_file() and p.name != "COPYING"]
    assert len(copied) > 50
    for p in copied:
        rel = p.relative_to(DATA)
        assert (SHARED / rel).read_bytes() == p.read_bytes(), f"tests/data/anchors/{rel} differs from ../shared"
