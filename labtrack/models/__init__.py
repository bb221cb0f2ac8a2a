"""Database models, one module per aggregate; import them all here for Alembic."""

from labtrack.models.audit import AuditChainHead, AuditEvent, Signature
from labtrack.models.batches import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.models.doses import Administration, Dose
from labtrack.models.inventory import Equipment, ReagentLot
from labtrack.models.notices import ApiToken, Notice
from labtrack.models.patients import Patient, TreatmentOrder
from labtrack.models.quality import Deviation, QcResult, Release, Specification, SpecificationTest
from labtrack.models.samples import ChainOfIdentityEvent, Sample
from labtrack.models.sequences import Counter
from labtrack.models.summaries import BatchWorklist, OrderStatus, SummaryState
from labtrack.models.users import User

__all__ = [
    "Administration", "ApiToken", "AuditChainHead", "AuditEvent", "Batch", "BatchWorklist",
    "CellCount", "ChainOfIdentityEvent", "Counter", "CultureStep", "CultureStepEquipment",
    "CultureStepLot", "Deviation", "Dose", "Equipment", "Notice", "OrderStatus", "Patient",
    "QcResult", "ReagentLot", "Release", "Sample", "Signature", "Specification",
    "SpecificationTest", "SummaryState", "TreatmentOrder", "User",
]
