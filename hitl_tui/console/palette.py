"""Command palette entries for the main actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS = {
    "New ticket (chat)": ("new_ticket", "Start a new conversation in the chat pane"),
    "Refresh inbox": ("refresh_inbox", "Look for pending tickets now"),
    "Open selected ticket": ("open_ticket", "Claim the selected ticket and focus the editor"),
    "Filter inbox": ("filter_inbox", "Show only tickets matching a text"),
    "Release claim": ("release_claim", "Give the selected ticket back to the team"),
    "Ticket history": ("ticket_history", "Show the decisions recorded for the selected ticket"),
    "Toggle terminal bell": ("toggle_bell", "Ring or stay silent when new tickets arrive"),
}


class HitlCommands(Provider):
    """Every main action of the console, searchable by name."""

    async def discover(self) -> Hits:
        for name, (action, help_text) in COMMANDS.items():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, (action, help_text) in COMMANDS.items():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.app.run_action, action),
                    help=help_text,
                )
