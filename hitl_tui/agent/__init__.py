"""The built-in support agent: graph, tools, chat models, and loading other graphs."""
