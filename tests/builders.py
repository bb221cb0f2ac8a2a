"""Builders for domain objects, made through the services as users make them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app

from labtrack.accounts import signatures
from labtrack.accounts import users as accounts
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor
from labtrack.culture import counts, harvest
from labtrack.culture import steps as culture
from labtrack.culture.counts import CountData
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.culture.models import CultureStep
from labtrack.culture.steps import StepData
from labtrack.database import utcnow
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.inventory.inventory import EquipmentData, LotData
from labtrack.orders import orders
from labtrack.orders.orders import OrderData, PatientData
from labtrack.quality import qc as quality
from labtrack.quality import release as releasing
from labtrack.quality.qc import ResultData
from labtrack.quality.release import RecordSettings
from labtrack.samples import receipt as samples
from labtrack.samples.receipt import ReceiptData
from labtrack.web.templating import lab_zone
from tests.helpers import PASSWORD, lab_today

_serial = itertools.count(1)


def user(role: str, username: str | None = None, full_name: str | None = None):
    """An account of ``role`` (password: tests.helpers.PASSWORD)."""
    username = username or f"{role}-b{next(_serial)}"
    return accounts.create_user(username, full_name or f"{username.title()} Builder", role,
                                PASSWORD, AccountPolicy.from_config(current_app.config))


def patient(clinician=None, **overrides):
    clinician = clinician or user("clinician")
    n = next(_serial)
    data = PatientData(**{"record_number": f"HC{n:06d}", "given_name": "Ana",
                          "family_name": f"García{n}", "date_of_birth": date(1970, 5, 17),
                          "sex": "F", **overrides})
    result = orders.register_patient(clinician, data, lab_today())
    db.session.commit()
    return result


def order(clinician=None, patient_=None, levels=("L4-L5", "L5-S1"), authorised=True,
          **overrides):
    """A treatment order; authorised for its levels unless ``authorised`` is False."""
    clinician = clinician or user("clinician")
    patient_ = patient_ or patient(clinician)
    today = lab_today()
    auth = ({"authorisation_reference": f"AEMPS-PEI-{next(_serial):04d}",
             "authorisation_granted_on": today - timedelta(days=10),
             "authorisation_levels": levels} if authorised else {})
    data = OrderData(**{"disc_levels": levels, "cells_per_disc": 20_000_000,
                        "tolerance_percent": 20,
                        "planned_procedure_date": today + timedelta(days=28),
                        "treating_clinician_id": clinician.id, **auth, **overrides})
    return orders.create_order(clinician, patient_, data, today)


def receipt_data(order_, **overrides) -> ReceiptData:
    """A receipt that passes every default acceptance rule."""
    now = utcnow()
    values = {
        "din": None, "collected_at": now - timedelta(hours=3),
        "collection_site": "Right posterior iliac crest", "volume_ml": Decimal("60.0"),
        "anticoagulant": "Heparin", "collected_by": "Dr. Ortega",
        "received_at": now - timedelta(minutes=5), "temperature_c": Decimal("21.5"),
        "container_intact": True, "tube_record_number": order_.patient.record_number,
        "tube_patient_name": order_.patient.display_name,
    }
    values.update(overrides)
    return ReceiptData(**values)


def receive(order_, technician=None, **overrides):
    """Receive a sample for ``order_``; returns the ReceiptOutcome."""
    technician = technician or user("technician")
    return samples.receive_sample(technician, order_, receipt_data(order_, **overrides),
                                  samples.rules_from_config(current_app.config),
                                  current_app.config["FACILITY_ID"])


def batch(order_=None, technician=None):
    """A batch in culture, started from an accepted sample."""
    order_ = order_ or order()
    return receive(order_, technician).batch


def step(batch_, kind, technician=None, performed_at=None, **fields):
    """Record a culture step (committed)."""
    technician = technician or user("technician")
    data = StepData(kind=kind, performed_at=performed_at or utcnow(), **fields)
    result = culture.record_step(technician, batch_, data, lab_zone())
    db.session.commit()
    return result


def seeded_batch(order_=None, technician=None, seeded_days_ago=7, surface_cm2=Decimal("700")):
    """A batch in culture, isolated and seeded ``seeded_days_ago`` days ago (on four T175
    flasks, 700 cm², unless told: the surface bounds the cells it can hold)."""
    technician = technician or user("technician")
    batch_ = batch(order_, technician)
    seeded_at = utcnow() - timedelta(days=seeded_days_ago)
    with audit.reason(db.session, "Backdated test batch"):
        batch_.started_at = seeded_at - timedelta(hours=4)
        db.session.commit()
    step(batch_, "isolation", technician, performed_at=seeded_at - timedelta(hours=1),
         cells=150_000_000)
    step(batch_, "seeding", technician, performed_at=seeded_at, flasks=4, cells=4_000_000,
         surface_cm2=surface_cm2)
    return batch_


def count(batch_, viable, dead=None, counted_at=None, technician=None, **fields):
    """Log a cell count (committed)."""
    technician = technician or user("technician")
    dead = dead if dead is not None else viable // 20
    data = CountData(counted_at=counted_at or utcnow(), method="automated",
                     viable_cells=viable, dead_cells=dead, **fields)
    result = counts.log_count(technician, batch_, data)
    db.session.commit()
    return result


# --- Harvest, formulation, QC and release (issue #6) ---------------------------------------

PASSING_RESULTS = {
    "viability": "95", "cd73": "99", "cd90": "99.5", "cd105": "98", "cd45": "0.5",
    "cd34": "0.3", "cd14": "0.4", "cd19": "0.2", "hla_dr": "0.6", "sterility": "no growth",
    "mycoplasma": "not detected", "endotoxin": "0.1", "appearance": "conforms",
}


def sign_as(user_, meaning):
    """The signing step a service calls, as ``user_`` re-entering their password."""
    policy = AccountPolicy.from_config(current_app.config)
    return lambda record_type, record_id, content: signatures.sign(
        user_, PASSWORD, meaning, record_type, record_id, content, policy,
        Actor(user_.id, user_.username))


def verify(step_, verifier):
    """A second technician verifies a step with a signature (committed)."""
    return culture.verify_step(verifier, step_, sign_as(verifier, Meaning.VERIFIED))


def harvested_batch(order_=None, technician=None, viable=50_000_000, dead=2_500_000,
                    surface_cm2=Decimal("700")):
    """A batch seeded a week ago, counted twice and harvested an hour ago."""
    technician = technician or user("technician")
    batch_ = seeded_batch(order_, technician, surface_cm2=surface_cm2)
    count(batch_, 9_000_000, counted_at=utcnow() - timedelta(days=4), technician=technician)
    count(batch_, 30_000_000, counted_at=utcnow() - timedelta(days=2), technician=technician)
    harvest.harvest(technician, batch_, HarvestData(
        harvested_at=utcnow() - timedelta(hours=1), viable_cells=viable, dead_cells=dead),
        lab_zone())
    return batch_


def formulated_batch(order_=None, technician=None, cells_per_dose=None, viable=50_000_000,
                     formulated_at=None, surface_cm2=Decimal("700")):
    """A harvested batch formulated into one dose per disc level (awaiting release)."""
    technician = technician or user("technician")
    batch_ = harvested_batch(order_, technician, viable=viable, surface_cm2=surface_cm2)
    harvest.formulate(technician, batch_, FormulationData(
        formulated_at=formulated_at or utcnow() - timedelta(minutes=30),
        volume_ml=Decimal("2.00"), container="1 mL syringe, Luer lock",
        cells_per_dose=cells_per_dose), lab_zone(), current_app.config["DOSE_SHELF_LIFE_HOURS"])
    return batch_


def qc_result(batch_, code, value, analyst_user=None, **fields):
    """Enter one QC result for ``batch_`` (committed)."""
    analyst_user = analyst_user or user("technician")
    test = next(t for t in quality.specification_tests(batch_) if t.code == code)
    data = ResultData(**{"test_code": code, "value": value, "method": test.method,
                         "analyst": analyst_user.full_name, "instrument": "QC-01",
                         "tested_at": utcnow() - timedelta(minutes=20), **fields})
    return quality.record_result(analyst_user, batch_, data)


def qc_results(batch_, analyst_user=None, skip=(), **overrides):
    """Enter a passing result for every test (``overrides`` by code; ``skip`` leaves some out)."""
    analyst_user = analyst_user or user("technician")
    for code, value in {**PASSING_RESULTS, **overrides}.items():
        if code not in skip:
            qc_result(batch_, code, value, analyst_user)
    return batch_


def releasable_batch(order_=None, technician=None, skip=(), cells_per_dose=None,
                     viable=50_000_000, verified=True, surface_cm2=Decimal("700"), **overrides):
    """A batch awaiting release that meets every checklist item for a QA user who took no part:
    counts, every critical step verified, doses, every QC result passing (entered by a lab
    analyst). ``verified=False`` leaves the verification to the test."""
    technician = technician or user("technician")
    batch_ = formulated_batch(order_, technician, cells_per_dose=cells_per_dose, viable=viable,
                              surface_cm2=surface_cm2)
    if verified:
        verify_critical_steps(batch_)
    return qc_results(batch_, skip=skip, **overrides)


CRITICAL_STEPS = ("isolation", "seeding", "passage", "harvest", "formulation")


def verify_critical_steps(batch_, verifier=None):
    """A second technician verifies every critical step not yet verified (committed)."""
    verifier = verifier or user("technician")
    for step_ in db.session.scalars(db.select(CultureStep).where(
            CultureStep.batch_id == batch_.id, CultureStep.kind.in_(CRITICAL_STEPS),
            CultureStep.verified_by_id.is_(None)).order_by(CultureStep.id)).all():
        verify(step_, verifier)
    return batch_


def release_settings():
    return RecordSettings.from_config(current_app.config)


def release(batch_, qa=None, exceptional=None):
    """QA releases ``batch_`` through the service; returns the Release."""
    qa = qa or user("qa")
    return releasing.release(qa, batch_, sign_as(qa, Meaning.RELEASED), release_settings(),
                             batch_.version, exceptional)


# --- Culture at the bench, reagent lots and equipment (issue #5) ----------------------------


def lot(material="α-MEM", lot_number=None, released=True, expires_in=365, registrar=None,
        qa=None):
    """A reagent lot, released by QA unless ``released`` is False (committed)."""
    registrar = registrar or user("technician")
    result = inventory.register_lot(registrar, LotData(
        material, "Gibco", lot_number or f"LOT{next(_serial):05d}",
        lab_today() + timedelta(days=expires_in)))
    if released:
        inventory.decide_lot(qa or user("qa"), result, "released", "Certificate reviewed")
    return result


def equipment(identifier=None, kind="Biosafety cabinet", calibration_due_in=180,
              registrar=None):
    """A piece of equipment in service (committed)."""
    return inventory.register_equipment(registrar or user("technician"), EquipmentData(
        identifier or f"EQ-{next(_serial):03d}", kind,
        lab_today() + timedelta(days=calibration_due_in)))


# --- After the injection: follow-up (issue #21) ---------------------------------------------


def treated_order(clinician, days_ago=100, levels=("L4-L5", "L5-S1")):
    """An order whose released batch was injected (every dose) ``days_ago`` days ago."""
    # Imported here: the clinic's use cases are only needed by the follow-up's tests.
    import time_machine

    from labtrack.clinic import administration

    with time_machine.travel(utcnow() - timedelta(days=days_ago), tick=True):
        order_ = order(clinician, levels=levels)
        batch_ = releasable_batch(order_)
        release(batch_)
        for dose in harvest.batch_doses(batch_):
            administration.record_administration(clinician, order_.patient.record_number,
                                                 dose.dose_code, dose.disc_level)
    return order_
