"""Graphs of other programs, rebuilt from LangGraph's and LangChain's human-in-the-loop patterns."""
