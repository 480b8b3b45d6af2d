"""The suite's own guard: nothing a test starts may reach the network (tests/netguard).
Checked here against a log of its own, so that the session's log stays empty."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest


def test_a_fetch_in_this_process_is_refused_and_written_down(tmp_path, monkeypatch):
    log = tmp_path / "net.log"
    monkeypatch.setenv("EXPECTMATRIX_TEST_NETLOG", str(log))
    with pytest.raises(OSError, match="refused in tests"):
        urllib.request.urlopen("http://example.com/", timeout=2)
    assert "example.com" in log.read_text()


def test_a_fetch_in_a_process_the_tests_start_is_refused(tmp_path):
    log = tmp_path / "net.log"
    env = {**os.environ, "EXPECTMATRIX_TEST_NETLOG": str(log)}
    code = "import urllib.request; urllib.request.urlopen('http://192.0.2.1/', timeout=2)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode != 0 and "refused in tests" in result.stderr
    assert "192.0.2.1" in log.read_text()


def test_this_machine_is_still_reachable():
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
