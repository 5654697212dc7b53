"""File input and output: format detection and atomic writes."""

import pytest

from realpolitik.errors import ScenarioError
from realpolitik.scenario import load_bytes


def test_txt_that_is_not_a_decide_file_gets_one_line():
    raw = b"# round 1\nBelgium compromises with France\nnew_pos = 8.4\n"
    with pytest.raises(ScenarioError) as exc:
        load_bytes(raw, "moves.txt")
    lines = exc.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith("moves.txt: ")
    assert "not a Decide exchange-model file" in lines[0]


def test_atomic_write_gives_normal_permissions(tmp_path):
    import os
    import stat

    from realpolitik.scenario.writers import atomic_write

    target = tmp_path / "out.json"
    old = os.umask(0o022)
    try:
        atomic_write(target, b"{}")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o600)  # replacing keeps the file's own mode
        atomic_write(target, b"[]")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert target.read_bytes() == b"[]"
    finally:
        os.umask(old)
