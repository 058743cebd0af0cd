"""The Textual console: a chat pane for users and an operator pane, side by side or alone."""
