"""Electronic signature meanings and the hash that binds a signature to what was signed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from labtrack.audit.rules.chain import canonical_json


class Meaning(StrEnum):
    """What a signature means (21 CFR 11.50: shown with every signature)."""

    PERFORMED = "performed"
    VERIFIED = "verified"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"
    CLOSED = "closed"


def signature_hash(record_type: str, record_id: str, meaning: str, signer_id: int,
                   printed_name: str, signed_at: datetime, content: dict) -> str:
    """SHA-256 over the signed content and everything that identifies the signature."""
    payload = canonical_json({
        "record_type": record_type,
        "record_id": str(record_id),
        "meaning": str(meaning),
        "signer_id": signer_id,
        "printed_name": printed_name,
        "signed_at": signed_at.isoformat(),
        "content": content,
    })
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
