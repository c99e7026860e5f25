"""``[privacy]``: whether the ids are CPR numbers, and where the pseudonymisation key comes from.

The layout::

    [privacy]
    ids = "cpr"                      # "plain" (default): ids used as they are
    key_file = "/secure/pseudonym.key"   # optional; else the environment variable
    key_env = "SURVIVAL_INVEST_PSEUDONYM_KEY"   # optional; the variable's name

Decisions: the key is never in the configuration text (a ``key`` entry is
refused as an unknown key, so a key pasted there is not silently used). It is
read only when a run reads the extracts (:func:`pseudonym_key`), not when the
configuration is parsed, so ``validate`` of a configuration without the key at
hand still checks everything else and then says what is missing. A key must
have at least 16 bytes (surrounding blanks and the final newline of a key file
are not part of it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from survival_invest.choices import ID_KINDS
from survival_invest.config.model import PSEUDONYM_KEY_ENV, ConfigError, PrivacyConfig
from survival_invest.config.reader import TableReader, path_value

__all__ = ["MIN_KEY_BYTES", "PRIVACY_KEYS", "privacy_section", "pseudonym_key"]

PRIVACY_KEYS = {"ids", "key_file", "key_env"}
#: The shortest key accepted (bytes).
MIN_KEY_BYTES = 16


def privacy_section(source: Path, table: Mapping[str, Any]) -> PrivacyConfig:
    """``[privacy]``: ``ids`` (``plain``/``cpr``), ``key_file`` (relative to the configuration's folder), ``key_env``."""
    ctx = TableReader(source, "[privacy]")
    if not isinstance(table, dict):
        raise ctx.error("privacy", "expected a table")
    ctx.unknown(table, PRIVACY_KEYS)
    env = table.get("key_env", PSEUDONYM_KEY_ENV)
    if not isinstance(env, str) or not env.strip():
        raise ctx.error("key_env", f"expected the name of an environment variable, got {env!r}")
    return PrivacyConfig(
        ids=ctx.choice(table, "ids", ID_KINDS, "plain"),
        key_file=path_value(ctx, table, "key_file", source.parent, False),
        key_env=env.strip(),
    )


def pseudonym_key(privacy: PrivacyConfig, source: Path | str = "configuration") -> bytes | None:
    """The pseudonymisation key when the ids are declared CPR numbers (``None`` for plain ids).

    Rule: the key file's content when ``key_file`` is named, else the
    environment variable ``key_env``; blanks around it are dropped; at least
    :data:`MIN_KEY_BYTES` bytes.

    Raises
    ------
    ConfigError
        No key (naming the variable or the file to provide), an unreadable key
        file, or a key that is too short. The key is never part of a message.
    """
    if privacy.ids != "cpr":
        return None
    where = f'{source}: [privacy] ids = "cpr"'
    if privacy.key_file is not None:
        try:
            key = privacy.key_file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(
                f"{where}: cannot read the key file {privacy.key_file} (key 'key_file'): {exc.strerror}."
            ) from exc
        origin = f"the key file {privacy.key_file}"
    else:
        key = os.environ.get(privacy.key_env, "").strip().encode("utf-8")
        origin = f"the environment variable {privacy.key_env}"
        if not key:
            raise ConfigError(
                f"{where} needs a pseudonymisation key: set the environment variable {privacy.key_env} "
                "or name a key file ([privacy] key_file); the key is never written in the configuration."
            )
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{where}: {origin} holds a key of {len(key)} bytes; expected at least {MIN_KEY_BYTES}.")
    return key
