"""Checkpoints: the chain's position anchored outside the database.

A checkpoint says "at this time the event at this sequence number had this link", and
carries an HMAC under the chain key over exactly that, so a checkpoint cannot be forged
without the key and the database cannot be rolled back or rewritten behind it.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import asdict, dataclass

from labtrack.audit.rules.chain import canonical_json

# How a printed record carries its checkpoint, in one token a PDF's text keeps whole
# once white space is removed: LTCP1:<seq>:<key id>:<UTC time>:<link>:<signature>
_TOKEN = re.compile(r"LTCP1:(\d+):([A-Za-z0-9_-]{1,16}):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ):"
                    r"([0-9a-f]{64}):([0-9a-f]{64})")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    link: str
    at: str  # UTC, ISO 8601 to the second, with Z
    key_id: str
    why: str = ""
    signature: str = ""

    def signed_content(self) -> bytes:
        return canonical_json([self.seq, self.link, self.at, self.key_id]).encode("utf-8")

    def signed(self, key: bytes) -> Checkpoint:
        mac = hmac.digest(key, self.signed_content(), "sha256").hex()
        return Checkpoint(self.seq, self.link, self.at, self.key_id, self.why, mac)

    def signature_valid(self, key: bytes | None) -> bool:
        if key is None:
            return False
        expected = hmac.digest(key, self.signed_content(), "sha256").hex()
        return hmac.compare_digest(expected, self.signature)

    def to_json(self) -> str:
        return canonical_json(asdict(self))

    @property
    def token(self) -> str:
        return f"LTCP1:{self.seq}:{self.key_id}:{self.at}:{self.link}:{self.signature}"


def from_json(text: str) -> Checkpoint | None:
    """A checkpoint from one stored line; None when the line is not one."""
    try:
        data = json.loads(text)
        return Checkpoint(int(data["seq"]), str(data["link"]), str(data["at"]),
                          str(data["key_id"]), str(data.get("why", "")),
                          str(data["signature"]))
    except (ValueError, KeyError, TypeError):
        return None


def from_text(text: str) -> list[Checkpoint]:
    """Every checkpoint token in a document's text (white space inside it ignored)."""
    squeezed = re.sub(r"\s+", "", text)
    return [Checkpoint(int(seq), link, at, key_id, "record", signature)
            for seq, key_id, at, link, signature in _TOKEN.findall(squeezed)]
