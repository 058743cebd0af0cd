"""Tools of the built-in support agent."""

from __future__ import annotations

from langchain_core.tools import tool
from langgraph.types import interrupt


@tool
def human_assistance(query: str) -> str:
    """Ask a human support operator for help with a question you cannot answer yourself."""
    human_response = interrupt({"query": query})
    return human_response["data"]


SUPPORT_TOOLS = [human_assistance]
