"""Database models, one module per aggregate; import them all here for Alembic."""

from labtrack.models.audit import AuditChainHead, AuditEvent, Signature
from labtrack.models.users import User

__all__ = ["AuditChainHead", "AuditEvent", "Signature", "User"]
