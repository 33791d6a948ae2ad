"""``restorer --selftest``: every check passes on a working install, and a broken one is named, line by line,
with exit code 1. Run as a child process, as a user (or packaging/build.sh) runs it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _selftest(tmp_path, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "RESTORER_USER_MODELS": str(tmp_path / "user_models"), **env}
    return subprocess.run([sys.executable, "-m", "restorer", "--selftest"], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=300)


def test_selftest_passes_on_this_install(tmp_path):
    proc = _selftest(tmp_path)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = [line.split(":")[0] for line in lines if line.startswith(("ok", "FAIL"))]
    assert checks == ["ok   resources", "ok   shipped models", "ok   colourise sample", "ok   colour hint",
                      "ok   main window",
                      "ok   trainer process"]
    assert "vgg16-unet" in lines[2] and lines[-1] == "self-test passed"
    assert list(tmp_path.iterdir()) == [], "the self-test wrote outside its temporary folder"


def test_selftest_names_what_is_missing(tmp_path):
    empty = tmp_path / "no_resources"
    empty.mkdir()
    proc = _selftest(tmp_path, RESTORER_RESOURCES=str(empty))
    assert proc.returncode == 1
    assert f"FAIL resources: no models in {empty / 'models'}" in proc.stdout
    assert "FAIL colourise sample" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("self-test FAILED")
