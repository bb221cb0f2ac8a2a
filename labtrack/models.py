"""Database models, one module per aggregate; import them all here for Alembic."""

from labtrack.accounts.models import ApiToken, Notice, Signature, User
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import (
    Batch,
    CellCount,
    CounterFile,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.culture.summary_models import BatchWorklist, OrderStatus, SummaryState
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.numbering import Counter
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.quality.models import Deviation, QcResult, Release, Specification, SpecificationTest
from labtrack.samples.models import ChainOfIdentityEvent, Sample

__all__ = [
    "Administration", "ApiToken", "AuditChainHead", "AuditEvent", "Batch", "BatchWorklist",
    "CellCount", "ChainOfIdentityEvent", "Counter", "CounterFile", "CultureStep",
    "CultureStepEquipment", "CultureStepLot", "Deviation", "Dose", "Equipment", "Notice",
    "OrderStatus", "Patient", "QcResult", "ReagentLot", "Release", "Sample", "Signature",
    "Specification", "SpecificationTest", "SummaryState", "TreatmentOrder", "User",
]
