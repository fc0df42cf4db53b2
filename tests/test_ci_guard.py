"""In CI a missing optional dependency fails instead of skipping (issue 14, finding 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import in_ci, skip_unless_ci


def test_importorskip_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="optional dependency 'no_such_module_h4'"):
        pytest.importorskip("no_such_module_h4")
    with pytest.raises(pytest.fail.Exception, match="CI: no browser"):
        skip_unless_ci("no browser")
    assert pytest.importorskip("json").dumps([1]) == "[1]"  # present modules still import


def test_importorskip_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception):
        pytest.importorskip("no_such_module_h4")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        skip_unless_ci("no browser")


def test_ci_script_sets_ci_itself():
    text = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines()]
    assert "export CI=true" in lines
    assert lines.index("export CI=true") < lines.index("make test")
