"""The audit chain's keys: held by the application servers, never by the database.

A keyring is a list of ``key_id:hex`` entries, oldest first; the last one links new
events. It comes from ``LABTRACK_AUDIT_KEYS`` (entries separated by commas or new
lines) or from the file named by ``LABTRACK_AUDIT_KEY_FILE`` (one entry a line); in
development a key is generated under ``instance/`` like the secret key. Production
refuses to start without one (config.py). Rotating adds a key at the end and records
the event from which it links (``labtrack audit-rotate-key``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

_ENTRY = re.compile(r"^([A-Za-z0-9_-]{1,16}):([0-9a-fA-F]{64,})$")


class AuditKeyError(RuntimeError):
    """The audit keys are missing or unreadable: nothing may be linked or verified."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current_id: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def parse_keyring(text: str) -> Keyring:
    """Entries ``key_id:hex`` separated by commas or lines; blank lines and # comments skipped."""
    keys: dict[str, bytes] = {}
    last = None
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        match = _ENTRY.match(entry)
        if not match:
            raise AuditKeyError("An audit key entry is not 'key_id:hex' (at least 32 bytes).")
        last = match.group(1)
        keys[last] = bytes.fromhex(match.group(2))
    if last is None:
        raise AuditKeyError("The audit keyring holds no key.")
    return Keyring(keys, last)


def new_entry(key_id: str) -> str:
    return f"{key_id}:{os.urandom(32).hex()}"


def keyring() -> Keyring:
    """The configured keyring (``AUDIT_KEYS`` text, else ``AUDIT_KEY_FILE``)."""
    config = current_app.config
    cached = current_app.extensions.get("audit_keyring")
    if cached is not None:
        return cached
    text = config.get("AUDIT_KEYS")
    if not text and config.get("AUDIT_KEY_FILE"):
        try:
            text = Path(config["AUDIT_KEY_FILE"]).read_text()
        except OSError as error:
            raise AuditKeyError(f"The audit key file cannot be read: {error}") from error
    if not text:
        raise AuditKeyError("No audit key is configured (LABTRACK_AUDIT_KEYS or "
                            "LABTRACK_AUDIT_KEY_FILE).")
    ring = parse_keyring(text)
    current_app.extensions["audit_keyring"] = ring
    return ring


def rotate() -> str:
    """Append a new key to the key file and make it current; returns its id."""
    path = current_app.config.get("AUDIT_KEY_FILE")
    if not path or current_app.config.get("AUDIT_KEYS"):
        raise AuditKeyError("Keys can be rotated only in a key file (LABTRACK_AUDIT_KEY_FILE).")
    ring = keyring()
    number = len(ring.keys) + 1
    key_id = f"k{number}"
    while key_id in ring.keys:
        number += 1
        key_id = f"k{number}"
    with open(path, "a", encoding="ascii") as handle:
        handle.write(new_entry(key_id) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    current_app.extensions.pop("audit_keyring", None)
    return key_id
