"""Database models, one module per aggregate; import them all here for Alembic."""

from labtrack.accounts.models import ApiToken, Notice, Signature, User, UserSession
from labtrack.api.models import IdempotentRequest
from labtrack.audit.models import AuditChainHead, AuditEvent
from labtrack.clinic.models import AdverseEvent, DiscImaging, FollowUpVisit
from labtrack.culture.dose_models import Administration, Dose, FormulationCorrection
from labtrack.culture.models import (
    Batch,
    CellCount,
    CounterFile,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.culture.summary_models import BatchWorklist, OrderStatus, SummaryState
from labtrack.identity.models import ChainOfIdentityEvent, LabelPrint, Sample
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.numbering import Counter
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.qms.models import Deviation, Specification, SpecificationTest
from labtrack.quality.models import QcResult, Release
from labtrack.web.models import FormSubmission

__all__ = [
    "AdverseEvent", "DiscImaging", "FollowUpVisit",
    "Administration", "ApiToken", "AuditChainHead", "AuditEvent", "Batch", "BatchWorklist",
    "CellCount", "ChainOfIdentityEvent", "Counter", "CounterFile", "CultureStep",
    "CultureStepEquipment", "CultureStepLot", "Deviation", "Dose", "Equipment",
    "FormulationCorrection", "LabelPrint",
    "Notice", "OrderStatus", "Patient", "QcResult", "ReagentLot", "Release", "Sample",
    "Signature", "Specification", "SpecificationTest", "SummaryState", "TreatmentOrder", "User",
    "UserSession",
    "FormSubmission", "IdempotentRequest",
]
