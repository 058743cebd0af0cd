"""Which chat model the support agent uses: OpenAI when a key is set, else offline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hitl_tui.settings import Settings

if TYPE_CHECKING:  # the model classes are heavy to import; describe_model needs none
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class ModelChoice:
    model: BaseChatModel
    label: str  # shown to the user, so they always know which model answers


def describe_model(settings: Settings) -> str:
    """What the user is told about the model, without loading it (start-up stays fast)."""
    if settings.uses_openai:
        from hitl_tui.db.uri import redact_url

        base_url = settings.openai_base_url
        where = f" at {redact_url(base_url)}" if base_url else ""
        return f"OpenAI {settings.openai_model}{where}"
    return "offline support model (set OPENAI_API_KEY for OpenAI)"


def choose_model(settings: Settings) -> ModelChoice:
    if settings.uses_openai:
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=60,
            max_retries=1,
        )
        return ModelChoice(model, describe_model(settings))
    from hitl_tui.agent.offline import OfflineSupportModel

    return ModelChoice(
        OfflineSupportModel(), "offline support model (set OPENAI_API_KEY for OpenAI)"
    )
