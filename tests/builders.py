"""Builders for domain objects, made through the services as users make them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app

from labtrack.extensions import db
from labtrack.formatting import lab_zone
from labtrack.models.base import utcnow
from labtrack.services import accounts, audit, counts, culture, orders, samples
from labtrack.services.accounts import AccountPolicy
from labtrack.services.counts import CountData
from labtrack.services.culture import StepData
from labtrack.services.orders import OrderData, PatientData
from labtrack.services.samples import ReceiptData
from tests.helpers import PASSWORD

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
    result = orders.register_patient(clinician, data, date.today())
    db.session.commit()
    return result


def order(clinician=None, patient_=None, levels=("L4-L5", "L5-S1"), authorised=True,
          **overrides):
    """A treatment order; authorised for its levels unless ``authorised`` is False."""
    clinician = clinician or user("clinician")
    patient_ = patient_ or patient(clinician)
    today = date.today()
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


def seeded_batch(order_=None, technician=None, seeded_days_ago=7):
    """A batch in culture, isolated and seeded ``seeded_days_ago`` days ago."""
    technician = technician or user("technician")
    batch_ = batch(order_, technician)
    seeded_at = utcnow() - timedelta(days=seeded_days_ago)
    with audit.reason(db.session, "Backdated test batch"):
        batch_.started_at = seeded_at - timedelta(hours=4)
        db.session.commit()
    step(batch_, "isolation", technician, performed_at=seeded_at - timedelta(hours=1),
         cells=150_000_000)
    step(batch_, "seeding", technician, performed_at=seeded_at, flasks=4, cells=4_000_000,
         surface_cm2=Decimal("700"))
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
