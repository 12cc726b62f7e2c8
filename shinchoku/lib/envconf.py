"""Typed, fail-loud readers for configuration from the environment.

Every secret may instead be given as ``NAME_FILE`` pointing at a file that holds it
(Docker/systemd credentials style), so secrets need not sit in the process environment.
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(Exception):
    """A configuration value is missing or malformed."""


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
        except UnicodeDecodeError as exc:  # no detail: the message would quote the secret's bytes
            raise ConfigError(f"{name}_FILE={file_path!r} is not UTF-8 text") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} must be set")
        return default
    return value


def env_optional(name: str) -> str | None:
    value = _raw(name)
    return value or None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        result = default
    else:
        try:
            result = int(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be an integer, not {value!r}") from exc
    if minimum is not None and result < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {result}")
    if maximum is not None and result > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {result}")
    return result


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]
