"""The audit trail's keyed chain: canonical content, linking and verification.

Each event's link is an HMAC-SHA-256, under a key the database does not hold, over the
previous link and the event's canonical serialisation (``canonical_values``: every
stored column in ``LINKED_FIELDS`` order). A column added to ``audit_event`` is covered
by adding it to ``LINKED_FIELDS`` (a test compares the two). Events written before the
chain was keyed have no key id and keep their plain SHA-256 links over the fields of
that time (``LEGACY_FIELDS``); only a run of them at the start of the trail is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

GENESIS_HASH = "0" * 64

# Every stored column of an event that its link covers, in this order (``id`` is the
# row's storage number, ``prev_hash`` is linked as the previous link, ``hash`` is the link).
LINKED_FIELDS = (
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
    "key_id",
    "api_token_id",
)
# What a link covered before the chain was keyed (events with no key id).
LEGACY_FIELDS = LINKED_FIELDS[:10]
HASHED_FIELDS = LINKED_FIELDS  # the former name, kept for readers of the trail
KEY_ID_INDEX = LINKED_FIELDS.index("key_id")

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as text."""
    return _ENCODER.encode(value)


def canonical_values(content: Mapping) -> list:
    """The event's one canonical serialisation: its linked fields' values, in order."""
    return [content[field] for field in LINKED_FIELDS]


def values_hash(prev_hash: str, values: Sequence) -> str:
    """Plain SHA-256 link of an event written before the chain was keyed."""
    payload = prev_hash + "\n" + _ENCODER.encode(list(values[:len(LEGACY_FIELDS)]))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def values_link(key: bytes, prev_hash: str, values: Sequence) -> str:
    """HMAC-SHA-256 under ``key`` over the previous link and the canonical values."""
    payload = prev_hash + "\n" + _ENCODER.encode(values)
    return hmac.digest(key, payload.encode("utf-8"), "sha256").hex()


def _pads(key: bytes):
    """HMAC-SHA-256's keyed inner and outer states (RFC 2104), to copy for each event:
    verification then hashes no key blocks per event (a quarter faster than
    ``hmac.digest``, same result)."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in block)),
            hashlib.sha256(bytes(b ^ 0x5C for b in block)))


def event_link(key: bytes, prev_hash: str, content: Mapping) -> str:
    """The link of an event given as a mapping of its linked fields."""
    return values_link(key, prev_hash, canonical_values(content))


def event_hash(prev_hash: str, content: Mapping) -> str:
    """The legacy (unkeyed) link of an event; for migrating and testing old trails."""
    return values_hash(prev_hash, [content.get(f) for f in LEGACY_FIELDS])


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
    first_keyed_seq: int | None = None  # the first event with a key id in the run
    last_legacy_seq: int | None = None  # the last event without one


def verify_segment(rows: Iterable[Sequence], first_seq: int,
                   keys: Mapping[str, bytes] | None = None) -> Segment:
    """Check a run of events from ``first_seq``: no gap, every link inside, every link's MAC.

    Each row is ``(id, prev_hash, hash, *values)`` with the values in LINKED_FIELDS order
    (``occurred_at`` as its ISO text). The run's first link is checked by ``join_segments``.
    The loop is the verification's hot path (a million events and more): the keyed link
    is computed inline from the key's copied states.
    """
    keys = keys or {}
    pads = {key_id: _pads(key) for key_id, key in keys.items()}
    encode = _ENCODER.encode
    first_id = first_prev = expected_prev = None
    first_keyed = last_legacy = None
    seq = expected_seq = first_seq
    current_id, inner_pad, outer_pad = object(), None, None

    def stop(event_id, problem):
        return Segment(first_seq, first_id, first_prev, expected_prev, seq - first_seq,
                       ChainBreak(seq, event_id, problem), first_keyed, last_legacy)

    for event_id, prev_hash, stored_hash, *values in rows:
        seq = values[0]
        if first_id is None:
            first_id, first_prev, expected_prev = event_id, prev_hash, prev_hash
        if seq != expected_seq:
            return Segment(first_seq, first_id, first_prev, expected_prev,
                           expected_seq - first_seq,
                           ChainBreak(seq, event_id, f"expected seq {expected_seq}"),
                           first_keyed, last_legacy)
        if prev_hash != expected_prev:
            return stop(event_id, "link to previous event broken")
        key_id = values[KEY_ID_INDEX]
        if key_id != current_id:
            if key_id is None:
                if first_keyed is not None:
                    return stop(event_id, "unkeyed event after the chain was keyed")
                last_legacy = seq
                if values_hash(prev_hash, values) != stored_hash:
                    return stop(event_id, "content does not match its link")
                expected_prev, expected_seq = stored_hash, expected_seq + 1
                continue
            if key_id not in pads:
                return stop(event_id, f"key {key_id!r} is not available to verify")
            current_id, (inner_pad, outer_pad) = key_id, pads[key_id]
            if first_keyed is None:
                first_keyed = seq
        inner = inner_pad.copy()
        inner.update((prev_hash + "\n" + encode(values)).encode())
        outer = outer_pad.copy()
        outer.update(inner.digest())
        if outer.hexdigest() != stored_hash:
            return stop(event_id, "content does not match its keyed link "
                                  "(rewritten or recomputed without the key)")
        expected_prev, expected_seq = stored_hash, expected_seq + 1
    return Segment(first_seq, first_id, first_prev, expected_prev, expected_seq - first_seq,
                   None, first_keyed, last_legacy)


def join_segments(segments: Sequence[Segment], head_seq: int | None = None,
                  head_hash: str | None = None) -> tuple[int, ChainBreak | None]:
    """Stitch consecutive runs into one chain from the genesis; the first break wins.

    When the chain head is given, the last event must match it. Unkeyed (legacy) events
    are accepted only before the first keyed one.
    """
    expected_prev, checked, keyed = GENESIS_HASH, 0, False
    for segment in segments:
        if segment.checked and segment.first_prev != expected_prev:
            return checked, ChainBreak(segment.first_seq, segment.first_id,
                                       "link to previous event broken")
        if keyed and segment.last_legacy_seq is not None:
            return checked, ChainBreak(segment.last_legacy_seq, 0,
                                       "unkeyed event after the chain was keyed")
        checked += segment.checked
        if segment.problem is not None:
            return checked, segment.problem
        keyed = keyed or segment.first_keyed_seq is not None
        expected_prev = segment.last_hash or expected_prev
    if head_seq is not None and (head_seq != checked or head_hash != expected_prev):
        return checked, ChainBreak(checked, 0, "chain head does not match the last event")
    return checked, None


def verify_chain(rows: Iterable[Sequence], head_seq: int | None = None,
                 head_hash: str | None = None, keys: Mapping[str, bytes] | None = None
                 ) -> tuple[int, ChainBreak | None]:
    """Walk every stored event in ``seq`` order; how many were checked and the first break."""
    return join_segments([verify_segment(rows, 1, keys)], head_seq, head_hash)
