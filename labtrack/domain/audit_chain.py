"""The audit trail's hash chain: canonical content, hashing and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_HASH = "0" * 64

# The fields of an event that its hash covers, in this order.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "user_id",
    "username",
    "action",
    "record_type",
    "record_id",
    "changes",
    "reason",
    "client_addr",
)


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, content: dict) -> str:
    """SHA-256 over the previous hash and the event's canonical content."""
    payload = prev_hash + "\n" + canonical_json([content[f] for f in HASHED_FIELDS])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where verification first failed and why."""

    seq: int
    event_id: int
    problem: str


def verify_chain(
    events: Iterable[dict], head_seq: int | None = None, head_hash: str | None = None
) -> tuple[int, ChainBreak | None]:
    """Walk events in ``seq`` order; return how many were checked and the first break.

    Each event dict holds the hashed fields plus ``id``, ``prev_hash`` and ``hash``.
    When the chain head is given, the last event must match it (catches truncation).
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in events:
        if event["seq"] != expected_seq:
            return checked, ChainBreak(event["seq"], event["id"], f"expected seq {expected_seq}")
        if event["prev_hash"] != expected_prev:
            return checked, ChainBreak(event["seq"], event["id"], "link to previous event broken")
        if event_hash(expected_prev, event) != event["hash"]:
            return checked, ChainBreak(event["seq"], event["id"], "content does not match hash")
        expected_prev = event["hash"]
        expected_seq += 1
        checked += 1
    if head_seq is not None and (head_seq != checked or head_hash != expected_prev):
        return checked, ChainBreak(checked, 0, "chain head does not match the last event")
    return checked, None
