"""Build a benchmark database: N batches with realistic detail and their audit trail.

Rows are created as ORM objects in the application's own session, so the central
audit capture writes (and hash-chains) an audit event for every one of them, exactly
as in use. Services are bypassed only to skip their per-call validation queries.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from werkzeug.security import generate_password_hash

from labtrack.domain.disc_levels import DISC_LEVELS, level_code
from labtrack.domain.signatures import signature_hash
from labtrack.domain.specification import DEFAULT_SPECIFICATION, evaluate
from labtrack.extensions import db
from labtrack.models import (
    Administration,
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
    Dose,
    Equipment,
    Patient,
    QcResult,
    ReagentLot,
    Release,
    Sample,
    Signature,
    TreatmentOrder,
    User,
)
from labtrack.models.base import utcnow
from labtrack.services import audit, specifications

STEPS_PER_BATCH, COUNTS_PER_BATCH, QC_PER_BATCH = 30, 20, 10
STATES = (("completed", 55), ("released", 8), ("awaiting_release", 5), ("harvested", 2),
          ("in_culture", 20), ("terminated", 5), ("rejected", 5))
QC_VALUES = {"viability": Decimal("92.5"), "cd73": Decimal("98.1"), "cd90": Decimal("99.0"),
             "cd105": Decimal("97.2"), "cd45": Decimal("0.8"), "cd34": Decimal("0.5"),
             "cd14": Decimal("0.4"), "cd19": Decimal("0.3"), "hla_dr": Decimal("0.9"),
             "sterility": "no growth", "mycoplasma": "not detected",
             "endotoxin": Decimal("0.1"), "appearance": "conforms"}


def build(n_batches: int, seed: int = 1, commit_every: int = 25) -> dict:
    """Create the staff, materials and ``n_batches`` batches; return what was made."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not security)
    audit.set_actor(db.session, audit.Actor(None, "bench"))
    staff = _staff()
    lots, equipment = _materials()
    spec = specifications.current_specification()
    db.session.commit()
    spec = Staff(spec.id, "", "")
    states = [state for state, weight in STATES for _ in range(weight)]
    for index in range(n_batches):
        _batch(index, rng, rng.choice(states), staff, lots, equipment, spec)
        if index % commit_every == commit_every - 1:
            db.session.commit()
            db.session.expunge_all()
    db.session.commit()
    return {"batches": n_batches}


class Staff(NamedTuple):
    """A row's id and names, kept outside the session between commits."""

    id: int
    username: str
    full_name: str


def _staff() -> dict[str, list[Staff]]:
    password = generate_password_hash("bench-password-1", method="pbkdf2:sha256:1000")
    staff = {}
    for role, count in (("technician", 10), ("qa", 3), ("clinician", 5)):
        users = [User(username=f"{role}{i}", full_name=f"Bench {role.title()} {i}", role=role,
                      password_hash=password) for i in range(count)]
        db.session.add_all(users)
        db.session.flush()
        staff[role] = [Staff(u.id, u.username, u.full_name) for u in users]
    return staff


def _materials():
    expiry = date.today() + timedelta(days=365)
    lots = [ReagentLot(material=material, manufacturer="Bench Supplies",
                       lot_number=f"L{i:04d}", expiry_date=expiry, status="released")
            for i, material in enumerate(["MEM alpha", "Platelet lysate", "Trypsin-EDTA",
                                          "Ficoll-Paque", "PBS"] * 10)]
    equipment = [Equipment(identifier=f"EQ-{i:03d}", kind=kind, calibration_due=expiry)
                 for i, kind in enumerate(["incubator", "biosafety cabinet", "centrifuge",
                                           "cell counter"] * 5)]
    db.session.add_all(lots + equipment)
    db.session.flush()
    return [lot.id for lot in lots], [item.id for item in equipment]


def _batch(index, rng, state, staff, lots, equipment, spec):
    started = utcnow() - timedelta(days=rng.randint(1, 900), hours=rng.random() * 24)
    if state == "in_culture":
        started = utcnow() - timedelta(days=rng.randint(1, 20), hours=rng.random() * 24)
    clinician = rng.choice(staff["clinician"])
    technician = rng.choice(staff["technician"])
    levels = tuple(sorted(rng.sample(DISC_LEVELS, rng.choice((1, 2, 2, 3))),
                          key=DISC_LEVELS.index))
    order = _order(index, rng, clinician, levels, started)
    din = f"B{1000 + index // 1_000_000:04d}{started.year % 100:02d}{index % 1_000_000:06d}"
    sample = Sample(order=order, din=din,
                    collected_at=started - timedelta(hours=5), collection_site="Iliac crest",
                    volume_ml=Decimal("60.0"), anticoagulant="Heparin", collected_by="Dr. X",
                    received_at=started - timedelta(hours=1), received_by_id=technician.id,
                    temperature_c=Decimal("21.0"), container_intact=True,
                    tube_record_number=order.patient.record_number,
                    tube_patient_name=order.patient.display_name, status="accepted")
    batch = Batch(batch_number=f"BEN{index:07d}", order=order, sample=sample,
                  specification_id=spec.id, state=state, started_at=started,
                  seeded_at=started + timedelta(hours=3))
    db.session.add_all([order, sample, batch])
    db.session.flush()
    _culture(batch, rng, staff, lots, equipment)
    if state not in ("in_culture", "terminated"):
        _qc(batch, rng, technician, spec)
        _doses(batch, levels, state, clinician, rng.choice(staff["qa"]))


def _order(index, rng, clinician, levels, started) -> TreatmentOrder:
    patient = Patient(record_number=f"BH{index:08d}", given_name="Bench",
                      family_name=f"Patient{index}", date_of_birth=date(1960, 1, 1),
                      sex=rng.choice("FM"))
    return TreatmentOrder(
        order_number=f"BO{index:08d}", patient=patient, disc_levels=",".join(levels),
        cells_per_disc=20_000_000, tolerance_percent=20, qc_reserve_cells=0,
        planned_procedure_date=(started + timedelta(days=rng.randint(22, 30))).date(),
        treating_clinician_id=clinician.id, created_by_id=clinician.id,
        authorisation_reference=f"AEMPS-B{index:06d}",
        authorisation_granted_on=(started - timedelta(days=20)).date(),
        authorisation_levels=",".join(levels))


def _culture(batch, rng, staff, lots, equipment):
    seeded = batch.seeded_at
    kinds = ["isolation", "seeding"] + ["medium_change", "observation", "medium_change",
                                        "observation", "passage"] * 6
    viable, passage = 4_000_000.0, 0
    for n, kind in enumerate(kinds[:STEPS_PER_BATCH]):
        performed = seeded + timedelta(hours=12 * n)
        passage += kind == "passage"
        step = CultureStep(batch_id=batch.id, kind=kind, performed_at=performed,
                           performed_by_id=rng.choice(staff["technician"]).id,
                           passage_number=passage, confluence_percent=rng.randint(30, 85),
                           notes="Routine step")
        step.lots = [CultureStepLot(reagent_lot_id=rng.choice(lots), quantity="50 mL")]
        step.equipment = [CultureStepEquipment(equipment_id=rng.choice(equipment))]
        db.session.add(step)
    for n in range(COUNTS_PER_BATCH):
        viable *= 2 ** (0.5 / rng.uniform(1.5, 3.0))  # half a day at a 1.5–3 day doubling time
        db.session.add(CellCount(
            batch_id=batch.id, counted_at=seeded + timedelta(hours=12 * n + 6),
            passage_number=min(n // 4, 6), method="automated", viable_cells=int(viable),
            dead_cells=int(viable * 0.05), viability_percent=Decimal("95.24"),
            entered_by_id=rng.choice(staff["technician"]).id))


def _qc(batch, rng, technician, spec):
    for test in DEFAULT_SPECIFICATION[:QC_PER_BATCH]:
        value = QC_VALUES[test.code]
        numeric = value if isinstance(value, Decimal) else None
        db.session.add(QcResult(
            batch_id=batch.id, test_code=test.code, numeric_value=numeric,
            text_value=None if numeric is not None else value,
            verdict=evaluate(test, value).value, method=test.method or "bench",
            analyst="QC Analyst", tested_at=batch.started_at + timedelta(days=20),
            entered_by_id=technician.id))


def _doses(batch, levels, state, clinician, qa):
    formulated = batch.started_at + timedelta(days=21)
    for level in levels:
        dose = Dose(dose_code=f"{batch.batch_number}-{level_code(level)}", batch_id=batch.id,
                    disc_level=level, viable_cells=21_000_000, volume_ml=Decimal("2.0"),
                    container="1 mL syringe", formulated_at=formulated,
                    expires_at=formulated + timedelta(hours=24))
        db.session.add(dose)
        if state == "completed":
            db.session.flush()
            db.session.add(Administration(
                dose_id=dose.id, disc_level=level,
                administered_at=formulated + timedelta(hours=6),
                administered_by_id=clinician.id,
                wristband_scanned=batch.order.patient.record_number))
    if state in ("released", "completed", "rejected"):
        _release(batch, state, formulated + timedelta(hours=2), qa)


def _release(batch, state, decided_at, qa):
    meaning = "rejected" if state == "rejected" else "released"
    signature = Signature(signer_id=qa.id, printed_name=qa.full_name, meaning=meaning,
                          signed_at=decided_at, record_type="batch", record_id=str(batch.id),
                          content_hash=signature_hash("batch", str(batch.id), meaning, qa.id,
                                                      qa.full_name, decided_at, {}))
    db.session.add(signature)
    db.session.flush()
    db.session.add(Release(batch_id=batch.id, decision=meaning, decided_at=decided_at,
                           signature_id=signature.id, checklist="[]",
                           reason="Out of specification" if state == "rejected" else None))


def configured_size() -> int:
    return int(current_app.config.get("BENCH_BATCHES", 10_000))
