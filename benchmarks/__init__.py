"""`make bench`: speed targets measured side by side on the embedded server."""
