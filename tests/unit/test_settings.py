"""Settings: pydantic-settings' own TOML source (./rag-council.toml, --config,
RAG_COUNCIL_CONFIG), environment variables over TOML, clear errors, a description on every
setting, and `rag-council config` printing what is in force (secrets masked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from rag_council.cli import main
from rag_council.errors import ConfigError
from rag_council.settings import Settings, describe


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_toml_file_in_the_working_folder_is_read_and_env_wins(in_tmp: Path, monkeypatch):
    (in_tmp / "rag-council.toml").write_text('index = "from-toml"\n[retrieval]\ntop_k = 7\ncandidates = 40\n')
    settings = Settings.load()
    assert (settings.index, settings.retrieval.top_k, settings.retrieval.candidates) == ("from-toml", 7, 40)
    monkeypatch.setenv("RAG_COUNCIL_RETRIEVAL__TOP_K", "9")
    settings = Settings.load()
    assert settings.retrieval.top_k == 9 and settings.retrieval.candidates == 40  # merged, env over TOML
    assert Settings.load(retrieval={"top_k": 3}).retrieval.top_k == 3  # explicit overrides win


def test_an_explicit_file_by_argument_or_variable(in_tmp: Path, monkeypatch):
    other = in_tmp / "other.toml"
    other.write_text('[answer]\ngenerator = "openai"\n[answer.openai]\nbase_url = "http://x/v1"\n')
    assert Settings.load(other).answer.generator == "openai"
    monkeypatch.setenv("RAG_COUNCIL_CONFIG", str(other))
    assert Settings.load().answer.openai.base_url == "http://x/v1"


def test_bad_toml_missing_file_and_unknown_keys_are_clear_errors(in_tmp: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(in_tmp / "missing.toml")
    bad = in_tmp / "bad.toml"
    bad.write_text("index = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load(bad)
    typo = in_tmp / "typo.toml"
    typo.write_text('indexx = "x"\n')
    with pytest.raises(ConfigError, match="indexx"):
        Settings.load(typo)


def test_every_setting_has_a_description():
    missing: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if not info.description:
                missing.append(prefix + name)
            kind = info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{prefix}{name}.")

    walk(Settings, "")
    assert missing == []


def test_describe_says_where_each_value_came_from_and_masks_secrets(in_tmp: Path, monkeypatch):
    (in_tmp / "rag-council.toml").write_text('[answer.openai]\napi_key = "sk-secret"\nmodel = "m"\n')
    monkeypatch.setenv("RAG_COUNCIL_RETRIEVAL__TOP_K", "8")
    monkeypatch.setenv("RAG_COUNCIL_APP__PASSWORD", "hunter2")
    rows = {r["name"]: r for r in describe(Settings.load())}
    assert (
        rows["retrieval.top_k"]["value"] == 8
        and rows["retrieval.top_k"]["source"] == "env RAG_COUNCIL_RETRIEVAL__TOP_K"
    )
    assert rows["answer.openai.model"]["source"].startswith("toml ")
    assert rows["answer.openai.api_key"]["value"] == "***" and rows["app.password"]["value"] == "***"
    assert rows["index"]["source"] == "default" and rows["index"]["description"]
    assert "sk-secret" not in json.dumps(list(rows.values())) and "hunter2" not in json.dumps(
        list(rows.values())
    )


def test_config_command_prints_the_settings_in_force(in_tmp: Path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_COUNCIL_ANSWER__OPENAI__API_KEY", "sk-secret")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "retrieval.top_k" in out and "[default]" in out and "sk-secret" not in out
    assert "answer.openai.api_key" in out and '"***"' in out
    assert main(["config", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"name", "value", "source", "description"} <= rows[0].keys()
    assert any(r["name"] == "answer.generator" and r["value"] == "extractive" for r in rows)
    assert main(["--config", "missing.toml", "config"]) == 1
    assert "does not exist" in capsys.readouterr().err
