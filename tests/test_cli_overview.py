"""The multi-model overview shows summary tables; --details (or one model) shows the rest."""

import subprocess
import sys


def run(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "realpolitik", "forecast", "--seed", "3", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "160", "REALPOLITIK_DB": "off", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def test_overview_has_war_summary_but_no_move_log():
    out, err = run()
    assert "Terms of a settlement" in out
    assert "War bargaining: how the war ends" in out
    assert "War bargaining: what moves the forecast" in out
    assert "Expected utility: moves" not in out
    assert "--details" in err


def test_details_and_single_model_show_detail_tables():
    out, _ = run("--details")
    assert "Expected utility: moves" in out and "War bargaining: how the war ends" in out
    out, _ = run("-m", "expected-utility")
    assert "Expected utility: rounds" in out
    assert "War bargaining" not in out
