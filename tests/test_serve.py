"""`hitl-tui serve` serves the console to a browser."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request


def test_serve_answers_http_on_loopback(cli_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "hitl_tui", "serve", "--port", str(port),
                               "--mode", "admin"], env=cli_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    page = reply.read().decode()
            except OSError:
                time.sleep(0.1)
        assert page is not None, "the server never answered"
        assert "textual" in page.lower()
    finally:
        server.terminate()
        server.wait(timeout=10)
