"""Settings come from the environment and a `.env` in the working directory."""

from __future__ import annotations

from pathlib import Path

from hitl_tui.settings import Settings


def test_defaults_without_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HITL_OPERATOR", "carol")
    settings = Settings()
    assert settings.uses_embedded_db and not settings.uses_openai
    assert settings.db_name == "checkpointing_db"
    assert settings.poll_seconds == 1.0
    assert settings.operator == "carol"


def test_dotenv_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "MONGODB_URI=mongodb://db.example:27017\nHITL_DB_NAME=fromfile\n"
        "OPENAI_API_KEY=\nHITL_POLL_SECONDS=0.5\nHITL_DATA_DIR=~/hitl-data\n"
    )
    monkeypatch.setenv("HITL_DB_NAME", "fromenv")
    settings = Settings()
    assert settings.mongodb_uri == "mongodb://db.example:27017"
    assert settings.db_name == "fromenv"
    assert settings.openai_api_key is None  # blank means unset: the offline model
    assert settings.poll_seconds == 0.5
    assert settings.data_dir == Path("~/hitl-data").expanduser()


def test_cli_reports_a_bad_setting_as_usage_error(cli_env):
    from tests.conftest import run_cli

    result = run_cli(["pending"], {**cli_env, "HITL_POLL_SECONDS": "soon"})
    assert result.returncode == 2
    assert "HITL_POLL_SECONDS" in result.stderr or "poll" in result.stderr
