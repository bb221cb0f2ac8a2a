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


@dataclass(frozen=True)
class Segment:
    """The result of checking one run of consecutive events."""

    first_seq: int
    first_id: int | None
    first_prev: str | None  # the previous-hash stored on the run's first event
    last_hash: str | None
    checked: int
    problem: ChainBreak | None


def verify_segment(rows: Iterable[Sequence], first_seq: int) -> Segment:
    """Check a run of events from ``first_seq``: no gap, every link inside, every hash.

    Each row is ``(id, prev_hash, hash, *values)`` with the values in HASHED_FIELDS order
    (``occurred_at`` as its ISO text). The run's first link is checked by ``join_segments``.
    """
    first_id = first_prev = expected_prev = None
    checked = 0
    for event_id, prev_hash, stored_hash, *values in rows:
        seq = values[0]
        if first_id is None:
            first_id, first_prev, expected_prev = event_id, prev_hash, prev_hash
        if seq != first_seq + checked:
            problem = ChainBreak(seq, event_id, f"expected seq {first_seq + checked}")
            return Segment(first_seq, first_id, first_prev, expected_prev, checked, problem)
        if prev_hash != expected_prev:
            problem = ChainBreak(seq, event_id, "link to previous event broken")
            return Segment(first_seq, first_id, first_prev, expected_prev, checked, problem)
        if values_hash(prev_hash, values) != stored_hash:
            problem = ChainBreak(seq, event_id, "content does not match hash")
            return Segment(first_seq, first_id, first_prev, expected_prev, checked, problem)
        expected_prev = stored_hash
        checked += 1
    return Segment(first_seq, first_id, first_prev, expected_prev, checked, None)


def join_segments(segments: Sequence[Segment], head_seq: int | None = None,
                  head_hash: str | None = None) -> tuple[int, ChainBreak | None]:
    """Stitch consecutive runs into one chain from the genesis; the first break wins.

    When the chain head is given, the last event must match it (catches truncation).
    """
    expected_prev, checked = GENESIS_HASH, 0
    for segment in segments:
        if segment.checked and segment.first_prev != expected_prev:
            return checked, ChainBreak(segment.first_seq, segment.first_id,
                                       "link to previous event broken")
        checked += segment.checked
        if segment.problem is not None:
            return checked, segment.problem
        expected_prev = segment.last_hash or expected_prev
    if head_seq is not None and (head_seq != checked or head_hash != expected_prev):
        return checked, ChainBreak(checked, 0, "chain head does not match the last event")
    return checked, None


def verify_chain(
    rows: Iterable[Sequence], head_seq: int | None = None, head_hash: str | None = None
) -> tuple[int, ChainBreak | None]:
    """Walk every stored event in ``seq`` order; how many were checked and the first break."""
    return join_segments([verify_segment(rows, 1)], head_seq, head_hash)
