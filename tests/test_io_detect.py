"""A file whose extension fits only formats that recognise their content gets one message."""

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
