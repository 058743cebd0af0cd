"""The on-call watcher's figures: how soon an event leaves after the interrupt is saved,
and what an idle watcher costs. The watcher runs as its own process (`hitl-tui watch
--json`), as it would under systemd; its stdout is read here."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.mongodb import MongoDBSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from pymongo import MongoClient
from typing_extensions import TypedDict


class _State(TypedDict):
    text: str


def _ask(state: _State) -> dict:
    return {"text": str(interrupt({"query": state["text"]}))}


class _TimedSaver(MongoDBSaver):
    """Notes the moment each interrupt is saved (after the write returns)."""

    saved_at: dict[str, float]

    def put_writes(self, config, writes, task_id, task_path=""):  # type: ignore[no-untyped-def]
        super().put_writes(config, writes, task_id, task_path)
        if any(channel == "__interrupt__" for channel, _ in writes):
            self.saved_at[config["configurable"]["thread_id"]] = time.time()


@dataclass
class _Watcher:
    """`hitl-tui watch --json` against one database; when each `new` line arrived."""

    uri: str
    db_name: str
    change_streams: bool
    arrived: dict[str, float] = field(default_factory=dict)

    def __enter__(self) -> _Watcher:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HITL_", "MONGODB_"))}
        env.update(
            MONGODB_URI=self.uri,
            HITL_DB_NAME=self.db_name,
            HITL_POLL_SECONDS="1",
            HITL_CHANGE_STREAMS="true" if self.change_streams else "false",
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hitl_tui", "watch", "--json", "--events", "new"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            now = time.time()
            self.arrived.setdefault(json.loads(line)["thread_id"], now)

    def wait_for(self, thread_id: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while thread_id not in self.arrived:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def cpu_seconds(self) -> float:
        """User + system time of the watcher process, all its threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()
        self.process.wait(10)


def watch_latency_and_idle_cpu(
    uri: str, change_streams: bool, tickets: int, idle_seconds: float
) -> tuple[list[float], float]:
    """Seconds from "interrupt saved" to the event line, per ticket; then the share of one
    core the watcher used while nothing happened for `idle_seconds`."""
    db_name = f"bench_watch_{int(change_streams)}"
    client: MongoClient = MongoClient(uri, tz_aware=True)
    saver = _TimedSaver(client, db_name)
    saver.saved_at = {}
    builder = StateGraph(_State)
    builder.add_node("ask", _ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    graph = builder.compile(checkpointer=saver)

    def ticket(thread_id: str) -> None:
        graph.invoke({"text": thread_id}, {"configurable": {"thread_id": thread_id}})

    latencies: list[float] = []
    try:
        with _Watcher(uri, db_name, change_streams) as watcher:
            ticket("warm-up")  # the watcher is running and has seen the database
            if not watcher.wait_for("warm-up", 60):
                return [], float("nan")
            for n in range(tickets):
                time.sleep(0.3)  # pacing: tickets arrive one by one, not in a burst
                thread_id = f"probe-{n:03d}"
                ticket(thread_id)
                if watcher.wait_for(thread_id, 10):
                    latencies.append(watcher.arrived[thread_id] - saver.saved_at[thread_id])
            time.sleep(1.0)  # let the last delivery settle before the idle window
            before, started = watcher.cpu_seconds(), time.monotonic()
            time.sleep(idle_seconds)  # the measurement itself: a watcher with nothing to do
            idle = (watcher.cpu_seconds() - before) / (time.monotonic() - started)
    finally:
        client.drop_database(db_name)
        client.close()
    return latencies, idle


def oncall_figures(uri: str, plain_uri: str | None, probes: int, idle_seconds: float) -> dict:
    push, push_idle = watch_latency_and_idle_cpu(uri, True, probes, idle_seconds)
    figures: dict[str, Any] = {
        "watch_push_p50_ms": _p50(push) * 1e3,
        "watch_push_max_ms": max(push, default=float("nan")) * 1e3,
        "watch_push_n": len(push),
        "watch_idle_cpu_push_pct": push_idle * 100,
    }
    if plain_uri is not None:
        poll, poll_idle = watch_latency_and_idle_cpu(plain_uri, False, probes, idle_seconds)
        figures.update(
            watch_poll_p50_ms=_p50(poll) * 1e3,
            watch_poll_max_ms=max(poll, default=float("nan")) * 1e3,
            watch_poll_n=len(poll),
            watch_idle_cpu_poll_pct=poll_idle * 100,
        )
    return figures


def oncall_rows(figures: dict, idle_seconds: float) -> list[tuple[str, str, str, str, bool]]:
    rows = [
        (
            "watch: event out after interrupt saved, push (p50)",
            f"{figures['watch_push_p50_ms']:.0f} ms",
            f"n={figures['watch_push_n']}, max {figures['watch_push_max_ms']:.0f} ms",
            "<= 250 ms",
            figures["watch_push_n"] > 0 and figures["watch_push_p50_ms"] <= 250,
        ),
        (
            f"watch: idle CPU over {idle_seconds:.0f} s, push",
            f"{figures['watch_idle_cpu_push_pct']:.2f} % of a core",
            "",
            "< 1 %",
            figures["watch_idle_cpu_push_pct"] < 1,
        ),
    ]
    if "watch_poll_p50_ms" in figures:
        rows += [
            (
                "watch: event out, standalone: polls 1 s (p50)",
                f"{figures['watch_poll_p50_ms']:.0f} ms",
                f"n={figures['watch_poll_n']}, max {figures['watch_poll_max_ms']:.0f} ms",
                "<= 1100 ms",
                figures["watch_poll_n"] > 0 and figures["watch_poll_max_ms"] <= 1100,
            ),
            (
                f"watch: idle CPU over {idle_seconds:.0f} s, polling 1 s",
                f"{figures['watch_idle_cpu_poll_pct']:.2f} % of a core",
                "",
                "(report)",
                True,
            ),
        ]
    return rows


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    """`python -m benchmarks.oncall`: these rows alone, on a private embedded server."""
    import shutil
    import tempfile

    from benchmarks.run import standalone_server
    from hitl_tui.db.embedded import EmbeddedServer

    workdir = Path(tempfile.mkdtemp(prefix="hitl-bench-oncall-"))
    server = EmbeddedServer(workdir)
    idle = 20.0
    try:
        uri = server.ensure_running()
        with standalone_server(workdir) as plain_uri:
            figures = oncall_figures(uri, plain_uri, 15, idle)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    for name, measured, extra, target, met in oncall_rows(figures, idle):
        print(f"{name:<52} {measured:<20} {extra:<24} {target:<10} {'yes' if met else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
