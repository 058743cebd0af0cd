"""hitl-tui: a terminal operator console for LangGraph human-in-the-loop interrupts."""

__version__ = "0.1.0"
