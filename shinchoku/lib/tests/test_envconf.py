"""Typed environment readers: defaults, parsing, bounds, and NAME_FILE secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shinchoku.lib.envconf import ConfigError, env_bool, env_int, env_list, env_optional, env_str

NAME = "SHINCHOKU_TEST_SETTING"


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


# ---------------------------------------------------------------------------------------------
# env_str / env_optional
# ---------------------------------------------------------------------------------------------


def test_env_str_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "熊本市")

    assert env_str(NAME) == "熊本市"
    assert env_str(NAME, "default") == "熊本市"


@pytest.mark.parametrize("unset", [True, False])
def test_env_str_falls_back_to_its_default_when_unset_or_empty(monkeypatch: pytest.MonkeyPatch, unset: bool) -> None:
    if not unset:
        monkeypatch.setenv(NAME, "")

    assert env_str(NAME, "default") == "default"
    with pytest.raises(ConfigError, match=f"{NAME} must be set"):
        env_str(NAME)


def test_env_optional_gives_none_when_unset_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_optional(NAME) is None
    monkeypatch.setenv(NAME, "")
    assert env_optional(NAME) is None
    monkeypatch.setenv(NAME, "x")
    assert env_optional(NAME) == "x"


# ---------------------------------------------------------------------------------------------
# env_bool
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "TRUE", "yes", "on", " on ", "Yes"])
def test_env_bool_reads_true(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off", " OFF "])
def test_env_bool_reads_false(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, default=True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_falls_back_to_its_default_when_unset_or_empty(monkeypatch: pytest.MonkeyPatch, default: bool) -> None:
    assert env_bool(NAME, default) is default
    monkeypatch.setenv(NAME, "")
    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "n", "t", "enabled", "真"])
def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigError, match=NAME):
        env_bool(NAME, default=False)


# ---------------------------------------------------------------------------------------------
# env_int
# ---------------------------------------------------------------------------------------------


def test_env_int_reads_an_integer_or_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, "")
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, "-3")
    assert env_int(NAME, 7) == -3


@pytest.mark.parametrize("raw", ["4.2", "abc", "1e3", "0x10", "3 4"])
def test_env_int_refuses_what_is_not_an_integer(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigError, match=f"{NAME} must be an integer"):
        env_int(NAME, 7)


@given(st.integers(min_value=-100, max_value=100))
def test_env_int_enforces_its_bounds_inclusive(value: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(NAME, str(value))
        if 5 <= value <= 30:
            assert env_int(NAME, 10, minimum=5, maximum=30) == value
        else:
            with pytest.raises(ConfigError, match=r"must be at (least 5|most 30)"):
                env_int(NAME, 10, minimum=5, maximum=30)


def test_env_int_bounds_apply_to_the_default_too() -> None:
    with pytest.raises(ConfigError, match="at most 30"):
        env_int(NAME, 60, minimum=5, maximum=30)
    with pytest.raises(ConfigError, match="at least 1"):
        env_int(NAME, 0, minimum=1)


def test_env_int_with_one_bound_leaves_the_other_side_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "1000000")
    assert env_int(NAME, 0, minimum=0) == 1_000_000
    monkeypatch.setenv(NAME, "-1000000")
    assert env_int(NAME, 0, maximum=0) == -1_000_000


# ---------------------------------------------------------------------------------------------
# env_list
# ---------------------------------------------------------------------------------------------


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " a.example.jp, b.example.jp,, ,c ")

    assert env_list(NAME) == ["a.example.jp", "b.example.jp", "c"]


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_env_list_falls_back_to_a_copy_of_its_default(monkeypatch: pytest.MonkeyPatch, raw: str | None) -> None:
    if raw is not None:
        monkeypatch.setenv(NAME, raw)
    default = ["localhost"]

    result = env_list(NAME, default)
    result.append("changed")

    assert default == ["localhost"]
    assert env_list(NAME) == []


# ---------------------------------------------------------------------------------------------
# NAME_FILE
# ---------------------------------------------------------------------------------------------


def test_name_file_takes_precedence_over_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv(NAME, "from-env")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))

    assert env_str(NAME) == "from-file"
    assert env_optional(NAME) == "from-file"


def test_name_file_serves_every_type(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "value"
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))

    secret.write_text("on\n", encoding="utf-8")
    assert env_bool(NAME, default=False) is True
    secret.write_text(" 12 \n", encoding="utf-8")
    assert env_int(NAME, 0, maximum=12) == 12
    secret.write_text("a,b\n", encoding="utf-8")
    assert env_list(NAME) == ["a", "b"]


def test_an_empty_name_file_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{NAME}_FILE", "")
    monkeypatch.setenv(NAME, "from-env")

    assert env_str(NAME) == "from-env"


def test_an_empty_file_counts_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "empty"
    secret.write_text("\n", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))
    monkeypatch.setenv(NAME, "from-env")

    assert env_str(NAME, "default") == "default"
    assert env_optional(NAME) is None


@pytest.mark.parametrize("kind", ["missing", "directory", "not utf-8"])
def test_an_unreadable_name_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "secret"
    if kind == "directory":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(b"\xff\xfe\x00raw key bytes")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    monkeypatch.setenv(NAME, "from-env")  # never a silent fallback

    for read in (lambda: env_str(NAME), lambda: env_optional(NAME), lambda: env_bool(NAME, default=False)):
        with pytest.raises(ConfigError, match=f"{NAME}_FILE="):
            read()
