"""One settings object, read from the environment and a `.env` in the working directory."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from hitl_tui.hitl.sla import SlaPolicy


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "operator"


class Settings(BaseSettings):
    """Everything configurable; field aliases are the documented variable names."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    mongodb_uri: str | None = Field(default=None, validation_alias="MONGODB_URI", repr=False)
    db_name: str = Field(default="checkpointing_db", validation_alias="HITL_DB_NAME")
    openai_api_key: str | None = Field(
        default=None, validation_alias="OPENAI_API_KEY", repr=False
    )
    openai_model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    openai_base_url: str | None = Field(
        default=None, validation_alias="OPENAI_BASE_URL", repr=False
    )
    operator: str = Field(default_factory=_login_name, validation_alias="HITL_OPERATOR")
    poll_seconds: float = Field(default=1.0, gt=0, validation_alias="HITL_POLL_SECONDS")
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("hitl-tui")),
        validation_alias=AliasChoices("HITL_DATA_DIR"),
    )
    claim_seconds: float = Field(default=300.0, gt=0, validation_alias="HITL_CLAIM_SECONDS")
    connect_timeout_seconds: float = Field(
        default=3.0, gt=0, validation_alias="HITL_CONNECT_TIMEOUT"
    )
    audit_key: SecretStr | None = Field(default=None, validation_alias="HITL_AUDIT_KEY")
    bell: bool = Field(default=True, validation_alias="HITL_BELL")
    change_streams: bool = Field(default=True, validation_alias="HITL_CHANGE_STREAMS")
    langgraph_server_url: str | None = Field(default=None, validation_alias="LANGGRAPH_SERVER_URL")
    langgraph_api_key: str | None = Field(default=None, validation_alias="LANGGRAPH_API_KEY")
    langgraph_assistant: str | None = Field(default=None, validation_alias="LANGGRAPH_ASSISTANT")
    confirm: Literal["always", "never"] = Field(default="always", validation_alias="HITL_CONFIRM")
    screenshot_dir: Path = Field(default=Path("."), validation_alias="HITL_SCREENSHOT_DIR")
    sla: str | None = Field(default=None, validation_alias="HITL_SLA")
    watch_lease_seconds: float = Field(
        default=15.0, gt=0, validation_alias="HITL_WATCH_LEASE_SECONDS"
    )
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="HITL_WEBHOOK_SECRET")

    @field_validator(
        "mongodb_uri",
        "openai_api_key",
        "openai_base_url",
        "langgraph_server_url",
        "langgraph_api_key",
        "langgraph_assistant",
        "audit_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir", "screenshot_dir", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("sla", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("sla", mode="after")
    @classmethod
    def _readable_sla(cls, value: str | None) -> str | None:
        from hitl_tui.hitl.sla import parse_sla

        parse_sla(value)  # SlaError is a ValueError: reported as a bad setting, exit 2
        return value

    @property
    def sla_policy(self) -> SlaPolicy:
        from hitl_tui.hitl.sla import parse_sla

        return parse_sla(self.sla)

    @property
    def uses_embedded_db(self) -> bool:
        return self.mongodb_uri is None

    @property
    def uses_openai(self) -> bool:
        return self.openai_api_key is not None
