"""Measure the speed targets side by side in one run, print a table, end with one JSON line.

    make bench        (or: python -m benchmarks.run [--quick])

Everything runs on a private embedded server in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import agent_server
from benchmarks.data import clone_threads, days_ago, quiet_burst, template_threads
from benchmarks.oncall import oncall_figures, oncall_rows
from hitl_tui.db.embedded import EmbeddedServer
from hitl_tui.hitl.conversation import ask
from hitl_tui.hitl.inbox import Inbox
from hitl_tui.hitl.watch import ChangeWatcher
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings

PENDING = 50
# The product's timeouts are for people waiting (3 s to connect, 30 s a reply). Building
# 10,000 threads on the embedded server while the machine is busy can take longer than
# that in one bulk write; a benchmark waits for a slow server, it must not fail on it.
# Every process of the run, measured ones included, reads this through its settings.
BENCH_CONNECT_TIMEOUT = "30"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def settings_for(uri: str, db_name: str, **extra: Any) -> Settings:
    return Settings(
        _env_file=None, mongodb_uri=uri, db_name=db_name, operator="bench", bell=False, **extra
    )


def hub_for(uri: str, db_name: str, **extra: Any) -> Hub:
    """A hub on a database set up as `hitl-tui db init` leaves it."""
    hub = Hub(settings_for(uri, db_name, **extra))
    hub.store.ensure_indexes()
    return hub


# -- 1. inbox cost against history --------------------------------------------------------
def inbox_costs(uri: str, sizes: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """Load each history in one burst ten minutes ago (a bulk import, then a quiet period),
    then measure the sizes in alternation, so that whatever else the machine is doing
    weighs on every size alike."""
    hubs = {n: hub_for(uri, f"bench_inbox_{n}") for n in sizes}
    figures: dict[int, dict[str, float]] = {}
    samples: dict[int, dict[str, list[float]]] = {n: defaultdict(list) for n in sizes}
    try:
        for n, hub in hubs.items():
            started = time.perf_counter()
            quiet_burst(hub, n, PENDING)
            build = time.perf_counter() - started
            # The history is in place before the first look: that look reads it all, once.
            first, items = timed(lambda hub=hub: Inbox(hub.store).refresh())
            assert len(items) == PENDING, len(items)
            figures[n] = {"build_s": build, "first_sync_s": first, "warm_scanned": 0}
        inboxes = {n: Inbox(hub.store) for n, hub in hubs.items()}
        for inbox in inboxes.values():
            inbox.refresh()
        for _ in range(9):
            for n, hub in hubs.items():
                samples[n]["cold_refresh_s"].append(timed(Inbox(hub.store).refresh)[0])
                for _ in range(3):
                    samples[n]["warm_refresh_s"].append(timed(inboxes[n].refresh)[0])
                    figures[n]["warm_scanned"] = max(figures[n]["warm_scanned"], inboxes[n].scanned)
        for _ in range(5):
            for n, hub in hubs.items():
                samples[n]["pending_command_s"].append(
                    timed(lambda h=hub: pending_command(uri, h))[0]
                )
                samples[n]["floor_s"].append(timed(lambda h=hub: floor_process(uri, h))[0])
        for n, hub in hubs.items():
            figures[n]["naive_s"] = timed(lambda hub=hub: naive_inbox(hub))[0]
            figures[n].update({name: statistics.median(v) for name, v in samples[n].items()})
        return figures
    finally:
        for n, hub in hubs.items():
            hub.connection.client.drop_database(f"bench_inbox_{n}")
            hub.close()


def pending_command(uri: str, hub: Hub) -> None:
    """`hitl-tui pending --json` as a new process, the mark already in the database."""
    env = {**os.environ, "MONGODB_URI": uri, "HITL_DB_NAME": hub.settings.db_name}
    listed = subprocess.run(
        [sys.executable, "-m", "hitl_tui", "pending", "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert len(json.loads(listed.stdout)) == PENDING


FLOOR = """
import sys
import pymongo, langgraph.checkpoint.serde.jsonplus
pymongo.MongoClient(sys.argv[1])[sys.argv[2]]["hitl_inbox"].find_one()
"""


def floor_process(uri: str, hub: Hub) -> None:
    """The least a `pending` process could cost: its two libraries and one query."""
    subprocess.run(
        [sys.executable, "-c", FLOOR, uri, hub.settings.db_name], capture_output=True, check=True
    )


def naive_inbox(hub: Hub) -> int:
    """The obvious way: every thread id, then graph.get_state on each."""
    pending = 0
    for thread_id in hub.store.checkpoints.distinct("thread_id"):
        state = hub.graph.get_state({"configurable": {"thread_id": thread_id}})
        pending += bool(state.interrupts)
    return pending


# -- 2. time to the operator ----------------------------------------------------------------
WRITER = """
import json, sys, time
from langgraph.checkpoint.mongodb import MongoDBSaver
from hitl_tui.hitl.conversation import ask
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings

saved_at = {}
put_writes = MongoDBSaver.put_writes

def timed_put_writes(self, config, writes, task_id, task_path=""):
    put_writes(self, config, writes, task_id, task_path)
    if any(channel == "__interrupt__" for channel, _ in writes):
        saved_at[config["configurable"]["thread_id"]] = time.time()  # the moment it is saved

MongoDBSaver.put_writes = timed_put_writes
hub = Hub(Settings(_env_file=None, mongodb_uri=sys.argv[1], db_name=sys.argv[2]))
hub.graph
print("ready", flush=True)
for n in range(int(sys.argv[3])):
    time.sleep(0.25)  # pacing: tickets arrive one by one
    result = ask(hub, f"latency probe {n}", f"probe-{n:03d}")
    print(json.dumps({"thread": result.thread_id, "saved": saved_at[result.thread_id]}), flush=True)
"""


@contextlib.contextmanager
def standalone_server(workdir: Path) -> Iterator[str]:
    """A server that presents itself as a standalone mongod: it has no change streams."""
    config = workdir / "standalone.toml"
    config.touch()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = Path(sys.executable).with_name("secantusd-py")
    process = subprocess.Popen(
        [str(daemon), "--host", "127.0.0.1", "--port", str(port), "--standalone"]
        + ["--storage-path", str(workdir / "standalone"), "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        process.terminate()
        process.wait(timeout=10)


def change_streams_offered(uri: str) -> bool | None:
    """What the watcher finds out on its own (the console falls back to polling on False)."""
    hub = hub_for(uri, "bench_probe")
    try:
        watcher = ChangeWatcher(hub.store, lambda: None).start()
        supported = watcher.wait_ready(10)
        watcher.stop()
        return supported
    finally:
        hub.close()


async def time_to_operator(uri: str, use_change_streams: bool, tickets: int) -> list[float]:
    from hitl_tui.console.app import HitlApp
    from hitl_tui.console.messages import InboxRefreshed

    db_name = f"bench_operator_{int(use_change_streams)}"
    hub = hub_for(uri, db_name, poll_seconds=1.0, change_streams=use_change_streams)
    seen: dict[str, float] = {}

    def hook(message: Any) -> None:
        if isinstance(message, InboxRefreshed) and message.items:
            now = time.time()
            for item in message.items:
                seen.setdefault(item.thread_id, now)

    app = HitlApp(hub.settings, "admin", hub=hub)
    try:
        async with app.run_test(size=(120, 34), message_hook=hook) as pilot:
            writer = await asyncio.create_subprocess_exec(
                sys.executable, "-c", WRITER, uri, db_name, str(tickets), stdout=subprocess.PIPE
            )
            saved: dict[str, float] = {}
            assert (await writer.stdout.readline()).strip() == b"ready"
            while line := await writer.stdout.readline():
                record = json.loads(line)
                saved[record["thread"]] = record["saved"]
            await writer.wait()
            deadline = time.monotonic() + 10
            while len(seen) < tickets and time.monotonic() < deadline:
                await pilot.pause(0.05)
        return [seen[t] - saved[t] for t in saved if t in seen]
    finally:
        hub.connection.client.drop_database(db_name)
        hub.close()


# -- 3. time to the user --------------------------------------------------------------------
OPERATOR = """
import json, sys, time
from hitl_tui.hitl.kinds import RESPOND, Decision
from hitl_tui.hitl.resume import resume
from hitl_tui.runtime import Hub
from hitl_tui.settings import Settings
hub = Hub(Settings(_env_file=None, mongodb_uri=sys.argv[1], db_name=sys.argv[2]))
hub.graph
print("ready", flush=True)
for line in sys.stdin:
    thread = line.strip()
    sent = time.time()
    resume(hub, thread, Decision(RESPOND, text=f"answer for {thread}"), "bench-operator")
    print(json.dumps({"thread": thread, "sent": sent}), flush=True)
"""


async def time_to_user(uri: str, tickets: int) -> list[float]:
    from hitl_tui.console.app import HitlApp
    from hitl_tui.console.chat_pane import ChatPane
    from hitl_tui.console.messages import ThreadLoaded

    db_name = "bench_user"
    hub = hub_for(uri, db_name, poll_seconds=1.0)
    threads = [ask(hub, f"user probe {n}", f"user-{n:03d}").thread_id for n in range(tickets)]
    operator = await asyncio.create_subprocess_exec(
        sys.executable, "-c", OPERATOR, uri, db_name, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert (await operator.stdout.readline()).strip() == b"ready"
    latencies = []
    try:
        for thread in threads:
            answered: list[float] = []

            def hook(message: Any, thread: str = thread, answered: list = answered) -> None:
                if (
                    isinstance(message, ThreadLoaded)
                    and message.thread_id == thread
                    and message.snapshot is not None
                    and not message.snapshot.pending
                ):
                    answered.append(time.time())

            app = HitlApp(hub.settings, "user", thread_id=thread, hub=hub)
            async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
                chat = app.query_one(ChatPane)
                while chat.waiting_since is None:
                    await pilot.pause(0.02)
                operator.stdin.write(f"{thread}\n".encode())
                await operator.stdin.drain()
                sent = json.loads(await operator.stdout.readline())["sent"]
                deadline = time.monotonic() + 10
                while not answered and time.monotonic() < deadline:
                    await pilot.pause(0.01)
                if answered:
                    latencies.append(answered[0] - sent)
    finally:
        operator.stdin.close()
        await operator.wait()
        hub.connection.client.drop_database(db_name)
        hub.close()
    return latencies


# -- 4. a responsive UI with thousands of tickets -------------------------------------------
async def ui_responsiveness(uri: str, pending: int) -> dict[str, float]:
    from hitl_tui.console.app import HitlApp
    from hitl_tui.console.inbox_table import InboxTable

    db_name = "bench_ui"
    hub = hub_for(uri, db_name, poll_seconds=0.5, change_streams=False)
    _, waiting = template_threads(hub)
    clone_threads(hub, waiting, "ui", pending - 1, days_ago(1 / 24))
    Inbox(hub.store).refresh()  # the one-time first sync is not what this measures
    gaps = {"refresh": 0.0, "keys": 0.0}
    phase = "refresh"
    app = HitlApp(hub.settings, "admin", hub=hub)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            table = app.query_one(InboxTable)
            running = True

            async def ticker() -> None:
                while running:
                    started = time.perf_counter()
                    await asyncio.sleep(0.005)
                    gap = time.perf_counter() - started - 0.005
                    gaps[phase] = max(gaps[phase], gap)

            task = asyncio.get_running_loop().create_task(ticker())
            loaded_at = time.perf_counter()
            while table.row_count < pending:
                await pilot.pause(0.02)
            first_load = time.perf_counter() - loaded_at
            pane = app.query_one("OperatorPane")
            for _ in range(6):  # more refreshes with every ticket on screen
                pane.request_refresh()
                await pilot.pause(0.3)
            phase = "keys"
            table.focus()
            for _ in range(50):
                await pilot.press("j")
            await pilot.pause(0.3)  # the detail of the last ticket loads after the cursor rests
            running = False
            await task
        return {
            "worst_loop_gap_s": gaps["refresh"],
            "worst_key_gap_s": gaps["keys"],
            "first_load_s": first_load,
        }
    finally:
        hub.connection.client.drop_database(db_name)
        hub.close()


# -- 5. start-up ---------------------------------------------------------------------------
def start_up_floor() -> None:
    """The libraries a console needs before it can show one ticket, imported and nothing
    else: what start-up costs before any of hitl-tui's own work."""
    subprocess.run([sys.executable, "-c", START_UP_FLOOR], capture_output=True, check=True)


START_UP_FLOOR = "import textual.app, pymongo, langgraph.checkpoint.serde.jsonplus"


@dataclass
class StartUps:
    """Start-up times, each kind measured in turn with the import floor beside it."""

    listed: list[float]  # as any earlier hitl-tui process leaves the inbox: tickets listed
    unlisted: list[float]  # tickets no hitl-tui process has listed yet
    floors: list[float]


def startup(uri: str, runs: int) -> StartUps | None:
    """`hitl-tui admin` in a real terminal (tmux) until the inbox shows a known ticket,
    `runs` times with its listing on the inbox entry and as many without, in turn; after
    each pair, the floor beside it."""
    if shutil.which("tmux") is None:
        return None
    db_name = "bench_startup"
    hub = hub_for(uri, db_name)
    ask(hub, "startup probe", "startup-probe")
    starts = StartUps([], [], [])
    env = {**os.environ, "MONGODB_URI": uri, "HITL_DB_NAME": db_name, "HITL_BELL": "false"}
    # A tmux server of our own: it starts with this environment, and the database's URI
    # never reaches the user's tmux server (whose sessions would inherit it) or an argv.
    tmux = ["tmux", "-L", f"hitl-bench-{os.getpid()}"]
    command = shlex.join([sys.executable, "-m", "hitl_tui", "admin"])
    try:
        for run in range(2 * runs):
            listed = run % 2 == 0
            if listed:
                Inbox(hub.store).refresh()  # lists the probe, as any hitl-tui process would
            else:
                hub.store.inbox.update_many({}, {"$unset": {"listing": "", "listed": ""}})
            took = painted_in(tmux, f"startup-{run}", command, env, "startup-probe")
            if took is not None:
                (starts.listed if listed else starts.unlisted).append(took)
            if not listed:
                starts.floors.append(timed(start_up_floor)[0])
        return starts
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        hub.connection.client.drop_database(db_name)
        hub.close()


def painted_in(
    tmux: list[str], session: str, command: str, env: dict[str, str], shown: str
) -> float | None:
    """Seconds from starting `command` in a new tmux session until `shown` is on screen
    (None after 20 s)."""
    started = time.perf_counter()
    new_tmux_session(tmux, session, command, env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if shown in screen:
                return time.perf_counter() - started
            time.sleep(0.01)
        return None
    finally:
        subprocess.run([*tmux, "kill-session", "-t", session], capture_output=True)


def new_tmux_session(tmux: list[str], session: str, command: str, env: dict[str, str]) -> None:
    """A tmux server whose last session just ended may still be exiting: ask again."""
    for attempt in range(3):
        started = subprocess.run(
            [*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command],
            env=env,
            capture_output=True,
        )
        if started.returncode == 0:
            return
        time.sleep(0.2 * (attempt + 1))
    started.check_returncode()


# -- 6. a turn on a long conversation ------------------------------------------------------
def turn_costs(uri: str, earlier_turns: int, samples: int) -> dict[str, float]:
    """A user's turn (offline model) on a thread with `earlier_turns` turns, beside a turn
    on a new thread, in alternation."""
    db_name = "bench_turns"
    hub = hub_for(uri, db_name)
    question = "How do I reset my password?"  # answered by the model, no operator
    try:
        long_thread = ask(hub, question).thread_id
        for _ in range(earlier_turns - 1):
            ask(hub, question, long_thread)
        on_long, on_new = [], []
        for _ in range(samples):
            on_long.append(timed(lambda: ask(hub, question, long_thread))[0])
            on_new.append(timed(lambda: ask(hub, question))[0])
        return {"long_s": statistics.median(on_long), "new_s": statistics.median(on_new)}
    finally:
        hub.connection.client.drop_database(db_name)
        hub.close()


# -- report --------------------------------------------------------------------------------
FIRST_SYNC_BEFORE_S = 6.2  # 10,000 threads, measured before the first look went by thread


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is: a full run, or a quick smoke run."""

    big: int
    small: int
    ui_pending: int
    probes: int
    idle_seconds: float


def sizes_for(quick: bool) -> Sizes:
    if quick:
        return Sizes(big=2000, small=200, ui_pending=500, probes=5, idle_seconds=5.0)
    return Sizes(big=10_000, small=500, ui_pending=5000, probes=15, idle_seconds=20.0)


def measure(quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every measurement, on a private embedded server; the figures and the sample sizes."""
    sizes = sizes_for(quick)
    os.environ.setdefault("HITL_CONNECT_TIMEOUT", BENCH_CONNECT_TIMEOUT)
    workdir = Path(tempfile.mkdtemp(prefix="hitl-bench-"))
    server = EmbeddedServer(workdir)
    try:
        raw = run_all(server.ensure_running(), workdir, sizes)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        **inbox_figures(raw["inbox"][sizes.small], raw["inbox"][sizes.big], sizes),
        **flow_figures(raw),
        **console_figures(raw, sizes),
        **raw["server_source"],
        **raw["oncall"],
        "oncall_idle_seconds": sizes.idle_seconds,
    }
    counts = {
        "push": len(raw["push"]),
        "poll": len(raw["poll"]),
        "user": len(raw["user"]),
        "starts": len(raw["starts"].listed) if raw["starts"] else 0,
    }
    return figures, counts


def run_all(uri: str, workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """Run every measurement in turn, telling which one is under way."""
    raw: dict[str, Any] = {}
    print(f"machine: {machine()}", flush=True)
    print(
        f"building inbox data sets (N={sizes.small} and N={sizes.big} finished threads)…",
        flush=True,
    )
    raw["inbox"] = inbox_costs(uri, (sizes.small, sizes.big))
    print("measuring a turn on a long conversation…", flush=True)
    raw["turns"] = turn_costs(uri, 100, 9)
    print("measuring time to the operator and to the user…", flush=True)
    raw["pushed"] = change_streams_offered(uri) is True
    raw["push"] = asyncio.run(time_to_operator(uri, True, sizes.probes))
    with standalone_server(workdir) as plain_uri:
        raw["fell_back"] = change_streams_offered(plain_uri) is False
        raw["poll"] = asyncio.run(time_to_operator(plain_uri, True, sizes.probes))
    raw["user"] = asyncio.run(time_to_user(uri, max(sizes.probes // 2, 5)))
    print(f"measuring the UI with {sizes.ui_pending} pending tickets and start-up…", flush=True)
    raw["ui"] = asyncio.run(ui_responsiveness(uri, sizes.ui_pending))
    raw["starts"] = startup(uri, 5)
    print("measuring the Agent Server source…", flush=True)
    raw["server_source"] = agent_server.figures(uri, workdir, sizes.probes)
    print("measuring the on-call watcher (latency, then idle CPU)…", flush=True)
    with standalone_server(workdir) as plain_uri:
        raw["oncall"] = oncall_figures(uri, plain_uri, sizes.probes, sizes.idle_seconds)
    return raw


def inbox_figures(at_small: dict, at_big: dict, sizes: Sizes) -> dict[str, Any]:
    """Targets 1 to 3: the inbox and the `pending` process against history and the floor."""
    return {
        "history_small": sizes.small,
        "history_big": sizes.big,
        "inbox_cold_small_ms": at_small["cold_refresh_s"] * 1e3,
        "inbox_cold_big_ms": at_big["cold_refresh_s"] * 1e3,
        "inbox_warm_small_ms": at_small["warm_refresh_s"] * 1e3,
        "inbox_warm_big_ms": at_big["warm_refresh_s"] * 1e3,
        "inbox_warm_scanned_big": at_big["warm_scanned"],
        "inbox_first_sync_small_ms": at_small["first_sync_s"] * 1e3,
        "inbox_first_sync_big_ms": at_big["first_sync_s"] * 1e3,
        "first_sync_ratio_vs_before": at_big["first_sync_s"] / FIRST_SYNC_BEFORE_S,
        "pending_command_small_ms": at_small["pending_command_s"] * 1e3,
        "pending_command_big_ms": at_big["pending_command_s"] * 1e3,
        "pending_command_ratio_big_vs_small": at_big["pending_command_s"]
        / at_small["pending_command_s"],
        "floor_ms": at_small["floor_s"] * 1e3,
        "pending_vs_floor": at_small["pending_command_s"] / at_small["floor_s"],
        "naive_small_ms": at_small["naive_s"] * 1e3,
        "naive_big_ms": at_big["naive_s"] * 1e3,
        "cold_ratio_big_vs_small": at_big["cold_refresh_s"] / at_small["cold_refresh_s"],
        "warm_ratio_big_vs_small": at_big["warm_refresh_s"] / at_small["warm_refresh_s"],
        "speedup_vs_naive_big": at_big["naive_s"] / at_big["cold_refresh_s"],
    }


def flow_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """Targets 5 and 6: a turn on a long thread, time to the operator and to the user."""
    turns, push, poll = raw["turns"], raw["push"], raw["poll"]
    return {
        "turn_long_ms": turns["long_s"] * 1e3,
        "turn_new_ms": turns["new_s"] * 1e3,
        "turn_ratio": turns["long_s"] / turns["new_s"],
        "operator_push_p50_ms": p50(push) * 1e3,
        "operator_push_max_ms": max(push, default=float("nan")) * 1e3,
        "operator_poll_p50_ms": p50(poll) * 1e3,
        "operator_poll_max_ms": max(poll, default=float("nan")) * 1e3,
        "change_streams_on_embedded": raw["pushed"],
        "standalone_detected_and_polled": raw["fell_back"],
        "user_p50_ms": p50(raw["user"]) * 1e3,
    }


def console_figures(raw: dict[str, Any], sizes: Sizes) -> dict[str, Any]:
    """Targets 3 and 4: thousands of tickets in the console, and start-up."""
    ui, starts = raw["ui"], raw["starts"]
    return {
        "ui_pending": sizes.ui_pending,
        "ui_worst_loop_gap_ms": ui["worst_loop_gap_s"] * 1e3,
        "ui_worst_key_gap_ms": ui["worst_key_gap_s"] * 1e3,
        "ui_first_load_ms": ui["first_load_s"] * 1e3,
        "startup_median_s": p50(starts.listed) if starts else None,
        "startup_unlisted_median_s": p50(starts.unlisted) if starts else None,
        "startup_floor_median_s": p50(starts.floors) if starts else None,
    }


def machine() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "embedded SecantusDB"
    )


def inbox_rows(f: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    first_target = FIRST_SYNC_BEFORE_S / 3
    return [
        (
            "inbox refresh, new object (N small / big)",
            f"{f['inbox_cold_small_ms']:.1f} / {f['inbox_cold_big_ms']:.1f} ms",
            f"ratio {f['cold_ratio_big_vs_small']:.2f}",
            "<= 1.5",
            f["cold_ratio_big_vs_small"] <= 1.5,
        ),
        (
            "inbox refresh, incremental (N small / big)",
            f"{f['inbox_warm_small_ms']:.1f} / {f['inbox_warm_big_ms']:.1f} ms",
            f"ratio {f['warm_ratio_big_vs_small']:.2f}",
            "<= 1.5",
            f["warm_ratio_big_vs_small"] <= 1.5,
        ),
        (
            "documents an incremental refresh reads, quiet",
            f"{f['inbox_warm_scanned_big']}",
            "after a burst at N big",
            "0",
            f["inbox_warm_scanned_big"] == 0,
        ),
        (
            "`pending --json` process after a burst (N s/b)",
            f"{f['pending_command_small_ms']:.0f} / {f['pending_command_big_ms']:.0f} ms",
            f"ratio {f['pending_command_ratio_big_vs_small']:.2f}",
            "<= 1.5",
            f["pending_command_ratio_big_vs_small"] <= 1.5,
        ),
        (
            f"`pending --json` process against the floor, {PENDING} pending",
            f"{f['pending_command_small_ms']:.0f} / {f['floor_ms']:.0f} ms",
            f"ratio {f['pending_vs_floor']:.2f}",
            "<= 1.5",
            f["pending_vs_floor"] <= 1.5,
        ),
        (
            "naive inbox: distinct + get_state (small / big)",
            f"{f['naive_small_ms']:.0f} / {f['naive_big_ms']:.0f} ms",
            f"{f['speedup_vs_naive_big']:.0f}x slower at N big",
            ">= 20x",
            f["speedup_vs_naive_big"] >= 20,
        ),
        (
            "first look at an unseen history (small / big)",
            f"{f['inbox_first_sync_small_ms']:.0f} / {f['inbox_first_sync_big_ms']:.0f} ms",
            f"{f['first_sync_ratio_vs_before']:.2f} of {FIRST_SYNC_BEFORE_S:.1f} s before",
            f"<= {first_target * 1e3:.0f} ms",
            f["inbox_first_sync_big_ms"] <= first_target * 1e3,
        ),
    ]


def flow_rows(f: dict[str, Any], counts: dict[str, int]) -> list[tuple[str, str, str, str, bool]]:
    return [
        (
            "a turn, 100 earlier turns / new thread",
            f"{f['turn_long_ms']:.0f} / {f['turn_new_ms']:.0f} ms",
            f"ratio {f['turn_ratio']:.2f}",
            "<= 1.5",
            f["turn_ratio"] <= 1.5,
        ),
        (
            "time to the operator, change stream (p50)",
            f"{f['operator_push_p50_ms']:.0f} ms",
            f"n={counts['push']}, max {f['operator_push_max_ms']:.0f} ms",
            "<= 250 ms",
            f["change_streams_on_embedded"] and f["operator_push_p50_ms"] <= 250,
        ),
        (
            "time to the operator, standalone: polls 1 s (p50)",
            f"{f['operator_poll_p50_ms']:.0f} ms",
            f"n={counts['poll']}, max {f['operator_poll_max_ms']:.0f} ms",
            "<= 1100 ms",
            f["standalone_detected_and_polled"] and f["operator_poll_p50_ms"] <= 1100,
        ),
        (
            "time to the user after send (p50)",
            f"{f['user_p50_ms']:.0f} ms",
            f"n={counts['user']}",
            "<= 500 ms",
            f["user_p50_ms"] <= 500,
        ),
    ]


def console_rows(
    f: dict[str, Any], counts: dict[str, int]
) -> list[tuple[str, str, str, str, bool]]:
    return [
        (
            f"{f['ui_pending']} pending, all decoded and listed",
            f"{f['ui_first_load_ms'] / 1e3:.2f} s",
            "",
            "<= 4 s",
            f["ui_first_load_ms"] <= 4000,
        ),
        (
            f"worst event-loop stall in refreshes, {f['ui_pending']} pending",
            f"{f['ui_worst_loop_gap_ms']:.0f} ms",
            "",
            "<= 50 ms",
            f["ui_worst_loop_gap_ms"] <= 50,
        ),
        (
            "worst stall while moving (50 x j)",
            f"{f['ui_worst_key_gap_ms']:.0f} ms",
            "",
            "<= 50 ms",
            f["ui_worst_key_gap_ms"] <= 50,
        ),
        (
            "start-up: hitl-tui admin to painted inbox",
            f"{f['startup_median_s']:.2f} s" if counts["starts"] else "skipped (no tmux)",
            f"n={counts['starts']}, tickets listed",
            "<= 0.8 s",
            bool(counts["starts"]) and f["startup_median_s"] <= 0.8,
        ),
        (
            "start-up, no ticket listed yet",
            f"{f['startup_unlisted_median_s']:.2f} s" if counts["starts"] else "-",
            f"imports alone {f['startup_floor_median_s']:.2f} s" if counts["starts"] else "-",
            "(report)",
            bool(counts["starts"]),
        ),
    ]


def print_table(rows: list[tuple[str, str, str, str, bool]]) -> None:
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'measured':<22} {'':<24} {'target':<18} met")
    for name, measured, extra, target, met in rows:
        print(f"{name:<{width}}  {measured:<22} {extra:<24} {target:<18} {'yes' if met else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data sets (a smoke run)")
    args = parser.parse_args(argv)
    figures, counts = measure(args.quick)
    rows = inbox_rows(figures) + flow_rows(figures, counts) + console_rows(figures, counts)
    rows += agent_server.rows(figures) + oncall_rows(figures, figures["oncall_idle_seconds"])
    print_table(rows)
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
