"""The audit trail's hash chain: canonical content, hashing and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
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


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as text."""
    return _ENCODER.encode(value)


def values_hash(prev_hash: str, values: Sequence) -> str:
    """SHA-256 over the previous hash and the hashed fields' values, in HASHED_FIELDS order."""
    payload = prev_hash + "\n" + _ENCODER.encode(values)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def event_hash(prev_hash: str, content: dict) -> str:
    """SHA-256 over the previous hash and the event's canonical content."""
    return values_hash(prev_hash, [content[f] for f in HASHED_FIELDS])


@dataclass(frozen=True)
class ChainBreak:
    """Where verification first failed and why."""

    seq: int
    event_id: int
    problem: str


def verify_chain(
    rows: Iterable[Sequence], head_seq: int | None = None, head_hash: str | None = None
) -> tuple[int, ChainBreak | None]:
    """Walk stored events in ``seq`` order; return how many were checked and the first break.

    Each row is ``(id, prev_hash, hash, *values)`` with the values in HASHED_FIELDS order
    (``occurred_at`` as its ISO text). When the chain head is given, the last event must
    match it, which catches a truncated chain.
    """
    expected_prev = GENESIS_HASH
    checked = 0
    for event_id, prev_hash, stored_hash, *values in rows:
        seq = values[0]
        if seq != checked + 1:
            return checked, ChainBreak(seq, event_id, f"expected seq {checked + 1}")
        if prev_hash != expected_prev:
            return checked, ChainBreak(seq, event_id, "link to previous event broken")
        if values_hash(expected_prev, values) != stored_hash:
            return checked, ChainBreak(seq, event_id, "content does not match hash")
        expected_prev = stored_hash
        checked += 1
    if head_seq is not None and (head_seq != checked or head_hash != expected_prev):
        return checked, ChainBreak(checked, 0, "chain head does not match the last event")
    return checked, None
