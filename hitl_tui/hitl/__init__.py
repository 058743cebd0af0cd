"""The core: finding and decoding pending interrupts, answering them, claims and audit.

Nothing here imports Textual; the CLI and the console are two front-ends over this API.
"""
