"""Serve the console in a web browser with textual-serve, for demos to a room."""

from __future__ import annotations

import shlex
import sys

from hitl_tui import output


def serve(host: str, port: int, mode: str, graph_spec: str | None) -> int:
    from textual_serve.server import Server

    command = [sys.executable, "-m", "hitl_tui"]
    if mode != "both":
        command.append(mode)
    if graph_spec:
        command += ["--graph", graph_spec]
    output.line(
        ("serving the console at ", "bold"), f"http://{host}:{port}", ("  (ctrl+c stops)", "dim")
    )
    Server(shlex.join(command), host=host, port=port, title="hitl-tui").serve()
    return 0
