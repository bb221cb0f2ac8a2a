"""Build a benchmark database: N batches with realistic detail and their audit trail.

What is made, by both builders alike:

- once: 18 accounts (10 technicians, 3 QA, 5 clinicians), 50 released reagent lots,
  20 pieces of equipment and the release specification (its 13 tests);
- per batch: a patient, a treatment order (1–3 disc levels), an accepted sample, the
  batch, 30 culture steps each with one reagent lot and one piece of equipment, and
  20 cell counts; unless the batch is in culture or terminated, 10 QC results and one
  dose per disc level; for a completed batch one administration per dose; for a
  released, completed or rejected batch the QA signature and the release decision.

States are drawn with the weights in ``STATES``. :class:`Plan` makes the rows as plain
column values with explicit ids, one batch at a time and reproducibly from a seed.
:func:`build` creates them as ORM objects in the application's own session, so the
central audit capture writes (and hash-chains) an audit event for every one of them,
exactly as in use; services are bypassed only to skip their per-call validation
queries. ``bench.bulk_build`` inserts the same rows and the same events much faster.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, inspect, select
from werkzeug.security import generate_password_hash

from labtrack.accounts.models import Signature, User
from labtrack.accounts.rules.signatures import signature_hash
from labtrack.audit import capture as audit
from labtrack.audit.models import AuditEvent
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import (
    Batch,
    CellCount,
    CultureStep,
    CultureStepEquipment,
    CultureStepLot,
)
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.identity.models import Sample
from labtrack.identity.rules import isbt128
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.orders.models import Patient, TreatmentOrder
from labtrack.orders.rules.disc_levels import DISC_LEVELS, level_code
from labtrack.qms import specifications
from labtrack.qms.models import Specification, SpecificationTest
from labtrack.qms.rules.specification import DEFAULT_SPECIFICATION, evaluate
from labtrack.quality.models import QcResult, Release

STEPS_PER_BATCH, COUNTS_PER_BATCH, QC_PER_BATCH = 30, 20, 10
STATES = (("completed", 55), ("released", 8), ("awaiting_release", 5), ("harvested", 2),
          ("in_culture", 20), ("terminated", 5), ("rejected", 5))
STATE_POOL = tuple(state for state, weight in STATES for _ in range(weight))
PRODUCT_CODE = "S1234100"  # the configured default (config.py); divisions A0, B0, …
NO_QC_STATES = ("in_culture", "terminated")  # no QC results, no doses
DECIDED_STATES = ("released", "completed", "rejected")  # signed release decision
QC_VALUES = {"viability": Decimal("92.5"), "cd73": Decimal("98.1"), "cd90": Decimal("99.0"),
             "cd105": Decimal("97.2"), "cd45": Decimal("0.8"), "cd34": Decimal("0.5"),
             "cd14": Decimal("0.4"), "cd19": Decimal("0.3"), "hla_dr": Decimal("0.9"),
             "sterility": "no growth", "mycoplasma": "not detected",
             "endotoxin": Decimal("0.1"), "appearance": "conforms"}
STAFF = (("technician", 10), ("qa", 3), ("clinician", 5))
MATERIALS = ("MEM alpha", "Platelet lysate", "Trypsin-EDTA", "Ficoll-Paque", "PBS") * 10
EQUIPMENT_KINDS = ("incubator", "biosafety cabinet", "centrifuge", "cell counter") * 5
CULTURE_KINDS = ["isolation", "seeding"] + ["medium_change", "observation", "medium_change",
                                            "observation", "passage"] * 6
ACTOR = audit.Actor(None, "bench")

# Every table the builders write, each after the ones it refers to.
SETUP_MODELS = (User, ReagentLot, Equipment, Specification, SpecificationTest)
BATCH_MODELS = (Patient, TreatmentOrder, Sample, Batch, Signature, CultureStep, CultureStepLot,
                CultureStepEquipment, CellCount, QcResult, Dose, Administration, Release)
MODELS = SETUP_MODELS + BATCH_MODELS

Row = tuple[type, dict]  # a model and its column values (attribute keys)


class Staff(NamedTuple):
    """An account's id and names."""

    id: int
    username: str
    full_name: str


@dataclass(frozen=True)
class Fixtures:
    """What every batch refers to: staff by role, lot and equipment ids, the specification."""

    staff: dict[str, list[Staff]]
    lots: list[int]
    equipment: list[int]
    spec_id: int


class Ids:
    """The next id of each table; the builders assign ids themselves."""

    def __init__(self, last: dict[type, int]):
        self._last = dict(last)

    @classmethod
    def after_existing(cls, connection, models=(*MODELS, AuditEvent)) -> Ids:
        return cls({model: connection.scalar(select(func.max(model.__table__.c.id))) or 0
                    for model in models})

    def next(self, model) -> int:
        self._last[model] += 1
        return self._last[model]


class Plan:
    """The rows of a benchmark database, made reproducibly from ``seed``.

    ``reference`` is the moment the data is built around (now by default); ``states``,
    when given, are used in turn instead of drawing each batch's state.
    """

    def __init__(self, connection, seed: int = 1, reference: datetime | None = None,
                 states: Sequence[str] | None = None):
        self.reference = reference or utcnow()
        self.rng = random.Random(seed)  # noqa: S311  (reproducible test data, not security)
        self.states = tuple(states or ())
        self.ids = Ids.after_existing(connection)
        spec_version = (connection.scalar(select(func.max(Specification.version))) or 0) + 1
        self.setup, self.fixtures = _setup_rows(self.ids, self.reference, spec_version)

    def batch(self, index: int) -> list[Row]:
        """The rows of the ``index``-th batch, in the order they are made."""
        state = (self.states[index % len(self.states)] if self.states
                 else self.rng.choice(STATE_POOL))
        return _batch_rows(index, self.rng, state, self.fixtures, self.ids, self.reference)


def build(n_batches: int, seed: int = 1, commit_every: int = 25,
          reference: datetime | None = None, states: Sequence[str] | None = None) -> dict:
    """Create the staff, materials and ``n_batches`` batches through the ORM session."""
    audit.set_actor(db.session, ACTOR)
    plan = Plan(db.session.connection(), seed, reference, states)
    _add(plan.setup)
    db.session.commit()
    for index in range(n_batches):
        _add(plan.batch(index))
        if index % commit_every == commit_every - 1:
            db.session.commit()
            db.session.expunge_all()
    db.session.commit()
    reset_sequences(db.session.connection())
    db.session.commit()
    return {"batches": n_batches}


@functools.cache
def _level(model) -> int:
    """How deep ``model`` sits in the references between the built tables."""
    refers_to = {key.column.table.name for key in model.__table__.foreign_keys}
    return 1 + max((_level(other) for other in MODELS
                    if other is not model and other.__tablename__ in refers_to), default=-1)


def _add(rows: list[Row]) -> None:
    """Add rows as ORM objects, flushing each level before the rows that refer to it."""
    for level in sorted({_level(model) for model, _values in rows}):
        db.session.add_all(model(**values) for model, values in rows if _level(model) == level)
        db.session.flush()


def reset_sequences(connection) -> None:
    """Move PostgreSQL's id sequences past the ids the builders assigned."""
    if connection.dialect.name != "postgresql":
        return
    for model in (*MODELS, AuditEvent):
        column = model.__table__.c.id
        connection.execute(select(func.setval(
            func.pg_get_serial_sequence(model.__tablename__, "id"),
            func.coalesce(func.max(column), 1), func.max(column).is_not(None))))


def _setup_rows(ids: Ids, reference: datetime, spec_version: int) -> tuple[list[Row], Fixtures]:
    rows: list[Row] = []
    password = generate_password_hash("bench-password-1", method="pbkdf2:sha256:1000")
    staff: dict[str, list[Staff]] = {}
    for role, count in STAFF:
        staff[role] = []
        for i in range(count):
            user = {"id": ids.next(User), "username": f"{role}{i}",
                    "full_name": f"Bench {role.title()} {i}", "role": role,
                    "password_hash": password}
            rows.append((User, user))
            staff[role].append(Staff(user["id"], user["username"], user["full_name"]))
    expiry = (reference + timedelta(days=365)).date()
    lots = [{"id": ids.next(ReagentLot), "material": material, "manufacturer": "Bench Supplies",
             "lot_number": f"L{i:04d}", "expiry_date": expiry, "status": "released"}
            for i, material in enumerate(MATERIALS)]
    equipment = [{"id": ids.next(Equipment), "identifier": f"EQ-{i:03d}", "kind": kind,
                  "calibration_due": expiry} for i, kind in enumerate(EQUIPMENT_KINDS)]
    rows += [(ReagentLot, lot) for lot in lots] + [(Equipment, item) for item in equipment]
    spec = {"id": ids.next(Specification), "version": spec_version, "effective_from": reference,
            "created_by_id": None, "change_summary": "Initial release specification"}
    rows.append((Specification, spec))
    for position, test in enumerate(DEFAULT_SPECIFICATION):
        # The application's own conversion of a domain test into its row.
        values = _set_values(specifications._to_row(position, test))
        rows.append((SpecificationTest, {**values, "id": ids.next(SpecificationTest),
                                         "specification_id": spec["id"]}))
    fixtures = Fixtures(staff, [lot["id"] for lot in lots], [item["id"] for item in equipment],
                        spec["id"])
    return rows, fixtures


def _set_values(obj) -> dict:
    """The column values set on a transient ORM object."""
    state = inspect(obj)
    return {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs
            if attr.key in state.dict}


def _batch_rows(index, rng, state, fixtures, ids, reference) -> list[Row]:
    started = reference - timedelta(days=rng.randint(1, 900), hours=rng.random() * 24)
    if state == "in_culture":
        started = reference - timedelta(days=rng.randint(1, 20), hours=rng.random() * 24)
    staff = fixtures.staff
    clinician = rng.choice(staff["clinician"])
    technician = rng.choice(staff["technician"])
    levels = tuple(sorted(rng.sample(DISC_LEVELS, rng.choice((1, 2, 2, 3))),
                          key=DISC_LEVELS.index))
    patient = {"id": ids.next(Patient), "record_number": f"BH{index:08d}", "given_name": "Bench",
               "family_name": f"Patient{index}", "date_of_birth": date(1960, 1, 1),
               "sex": rng.choice("FM")}
    order = {
        "id": ids.next(TreatmentOrder), "order_number": f"BO{index:08d}",
        "patient_id": patient["id"], "disc_levels": ",".join(levels),
        "cells_per_disc": 20_000_000, "tolerance_percent": 20, "qc_reserve_cells": 0,
        "planned_procedure_date": (started + timedelta(days=rng.randint(22, 30))).date(),
        "treating_clinician_id": clinician.id, "created_by_id": clinician.id,
        "authorisation_reference": f"AEMPS-B{index:06d}",
        "authorisation_granted_on": (started - timedelta(days=20)).date(),
        "authorisation_levels": ",".join(levels)}
    din = f"B{1000 + index // 1_000_000:04d}{started.year % 100:02d}{index % 1_000_000:06d}"
    sample = {
        "id": ids.next(Sample), "order_id": order["id"], "din": din,
        "collected_at": started - timedelta(hours=5), "collection_site": "Iliac crest",
        "volume_ml": Decimal("60.0"), "anticoagulant": "Heparin", "collected_by": "Dr. X",
        "received_at": started - timedelta(hours=1), "received_by_id": technician.id,
        "temperature_c": Decimal("21.0"), "container_intact": True,
        "tube_record_number": patient["record_number"],
        "tube_patient_name": Patient(family_name=patient["family_name"],
                                     given_name=patient["given_name"]).display_name,
        "status": "accepted"}
    batch = {"id": ids.next(Batch), "batch_number": f"BEN{index:07d}", "order_id": order["id"],
             "sample_id": sample["id"], "specification_id": fixtures.spec_id, "state": state,
             "started_at": started, "seeded_at": started + timedelta(hours=3)}
    rows = [(Patient, patient), (TreatmentOrder, order), (Sample, sample), (Batch, batch)]
    rows += _culture(batch, rng, staff, fixtures, ids)
    if state not in NO_QC_STATES:
        rows += _qc(batch, technician, ids)
        rows += _doses(batch, patient, levels, state, clinician, rng.choice(staff["qa"]), ids)
    return rows


def _culture(batch, rng, staff, fixtures, ids) -> list[Row]:
    rows: list[Row] = []
    seeded = batch["seeded_at"]
    viable, passage = 4_000_000.0, 0
    for n, kind in enumerate(CULTURE_KINDS[:STEPS_PER_BATCH]):
        passage += kind == "passage"
        step = {"id": ids.next(CultureStep), "batch_id": batch["id"], "kind": kind,
                "performed_at": seeded + timedelta(hours=12 * n),
                "performed_by_id": rng.choice(staff["technician"]).id,
                "passage_number": passage, "confluence_percent": rng.randint(30, 85),
                "notes": "Routine step"}
        rows.append((CultureStep, step))
        rows.append((CultureStepLot, {"id": ids.next(CultureStepLot), "step_id": step["id"],
                                      "reagent_lot_id": rng.choice(fixtures.lots),
                                      "quantity": "50 mL"}))
        rows.append((CultureStepEquipment, {"id": ids.next(CultureStepEquipment),
                                            "step_id": step["id"],
                                            "equipment_id": rng.choice(fixtures.equipment)}))
    for n in range(COUNTS_PER_BATCH):
        viable *= 2 ** (0.5 / rng.uniform(1.5, 3.0))  # half a day at a 1.5–3 day doubling time
        rows.append((CellCount, {
            "id": ids.next(CellCount), "batch_id": batch["id"],
            "counted_at": seeded + timedelta(hours=12 * n + 6),
            "passage_number": min(n // 4, 6), "method": "automated",
            "viable_cells": int(viable), "dead_cells": int(viable * 0.05),
            "viability_percent": Decimal("95.24"),
            "entered_by_id": rng.choice(staff["technician"]).id}))
    return rows


def _qc(batch, technician, ids) -> list[Row]:
    rows: list[Row] = []
    for test in DEFAULT_SPECIFICATION[:QC_PER_BATCH]:
        value = QC_VALUES[test.code]
        numeric = value if isinstance(value, Decimal) else None
        rows.append((QcResult, {
            "id": ids.next(QcResult), "batch_id": batch["id"], "test_code": test.code,
            "numeric_value": numeric, "text_value": None if numeric is not None else value,
            "verdict": evaluate(test, value).value, "method": test.method or "bench",
            "analyst": "QC Analyst", "tested_at": batch["started_at"] + timedelta(days=20),
            "entered_by_id": technician.id}))
    return rows


def _doses(batch, patient, levels, state, clinician, qa, ids) -> list[Row]:
    rows: list[Row] = []
    formulated = batch["started_at"] + timedelta(days=21)
    for index, level in enumerate(levels):
        dose = {"id": ids.next(Dose), "dose_code": f"{batch['batch_number']}-{level_code(level)}",
                "product_code": isbt128.dose_product_code(PRODUCT_CODE, index),
                "batch_id": batch["id"], "disc_level": level, "viable_cells": 21_000_000,
                "volume_ml": Decimal("2.0"), "container": "1 mL syringe",
                "formulated_at": formulated, "expires_at": formulated + timedelta(hours=24)}
        rows.append((Dose, dose))
        if state == "completed":
            rows.append((Administration, {
                "id": ids.next(Administration), "dose_id": dose["id"], "disc_level": level,
                "administered_at": formulated + timedelta(hours=6),
                "administered_by_id": clinician.id,
                "wristband_scanned": patient["record_number"]}))
    if state in DECIDED_STATES:
        rows += _release(batch, state, formulated + timedelta(hours=2), qa, ids)
    return rows


def _release(batch, state, decided_at, qa, ids) -> list[Row]:
    meaning = "rejected" if state == "rejected" else "released"
    record_id = str(batch["id"])
    signature = {"id": ids.next(Signature), "signer_id": qa.id, "printed_name": qa.full_name,
                 "meaning": meaning, "signed_at": decided_at, "record_type": "batch",
                 "record_id": record_id,
                 "content_hash": signature_hash("batch", record_id, meaning, qa.id,
                                                qa.full_name, decided_at, {})}
    release = {"id": ids.next(Release), "batch_id": batch["id"], "decision": meaning,
               "decided_at": decided_at, "signature_id": signature["id"], "checklist": "[]",
               "reason": "Out of specification" if state == "rejected" else None,
               "document_id": f"BRR-{batch['batch_number']}"}
    return [(Signature, signature), (Release, release)]


def configured_size() -> int:
    return int(current_app.config.get("BENCH_BATCHES", 10_000))
