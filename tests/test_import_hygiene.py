"""The core is usable without the console: importing it loads no Textual and no agent code
(the import-linter contracts in pyproject.toml prove the same statically)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = [
    "hitl_tui.hitl.desk",
    "hitl_tui.hitl.langgraph_compat",
    "hitl_tui.hitl.inbox",
    "hitl_tui.hitl.resume",
    "hitl_tui.hitl.conversation",
    "hitl_tui.hitl.watch",
]


def test_the_core_imports_without_textual_or_the_agent():
    probe = (
        "import json, sys\n"
        f"for name in {CORE!r}: __import__(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] == 'textual' or m.startswith(('hitl_tui.agent', 'hitl_tui.console')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


LISTING = """
import json, sys
from hitl_tui.cli import main
try:
    main(["pending", "--json"])
except SystemExit:
    pass
loaded = sorted(m for m in ("langgraph.types", "langsmith", "textual") if m in sys.modules)
print(json.dumps(loaded), file=sys.stderr)
"""


def test_listing_loads_no_graph_code(hub, cli_env):
    """`pending` decodes LangGraph's interrupts without importing `langgraph.types`, which
    brings LangSmith and most of langchain_core's runnables: the bulk of a slow start."""
    from hitl_tui.hitl.conversation import ask

    asked = ask(hub, "Please delete the customer database beta-staging")
    done = subprocess.run(
        [sys.executable, "-c", LISTING], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert (item["thread_id"], item["kind"]) == (asked.thread_id, "approval")
    assert item["interrupt_id"] == asked.pending[0].interrupt_id
    assert json.loads(done.stderr) == []
