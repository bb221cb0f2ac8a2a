"""JSON shapes of the API (described in ``labtrack.api.openapi``): plain dicts from records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from labtrack.clinic.readiness import BatchGrowth, OrderReadiness
from labtrack.clinic.rules.readiness import DoseState, ReadyDate
from labtrack.clinic.terms import readiness_alert, readiness_label
from labtrack.culture.dose_models import Administration, Dose
from labtrack.culture.models import Batch, CellCount
from labtrack.culture.rules.growth import NoProjection, Progress, Projection
from labtrack.culture.terms import state_label


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None


def _fraction(value: Progress | None) -> float | None:
    return round(value.fraction, 4) if value is not None else None


def ready_json(ready: ReadyDate | None) -> dict | None:
    if ready is None:
        return None
    return {"date": _day(ready.projected), "earliest": _day(ready.earliest),
            "latest": _day(ready.latest)}


def projection_json(projection: Projection | NoProjection | None) -> dict | None:
    """When the cells should reach the target, with the range; or why that is not known."""
    if projection is None:
        return None
    if isinstance(projection, NoProjection):
        return {"reason": projection.reason.value, "reached_at": _time(projection.reached_at)}
    return {"projected_at": _time(projection.projected_at),
            "earliest_at": _time(projection.earliest_at),
            "latest_at": _time(projection.latest_at),
            "doubling_time_days": round(projection.doubling_time_days, 3),
            "points_used": projection.points_used}


def readiness_json(row: OrderReadiness) -> dict:
    readiness = row.readiness
    return {
        "status": readiness.status.value,
        "status_label": readiness_label(readiness.status),
        "alerts": [{"code": alert.value, "message": readiness_alert(alert)}
                   for alert in readiness.alerts],
        "culture_day": readiness.culture_day,
        "cells_now": int(readiness.cells_now) if readiness.cells_now is not None else None,
        "target_cells": readiness.target_cells,
        "progress": _fraction(readiness.progress),
        "levels": [{"disc_level": level.disc_level,
                    "cells": int(level.cells) if level.cells is not None else None,
                    "fraction": round(level.fraction, 4)} for level in readiness.levels],
        "projection": projection_json(readiness.projection),
        "projected_ready": ready_json(readiness.ready),
        "ready_by": _day(readiness.ready_by),
        "pending_tests": list(readiness.pending_tests),
        "failed_after_release": list(readiness.failed_after_release),
    }


def dose_state_json(dose: DoseState, batch_number: str | None) -> dict:
    return {"dose_code": dose.code, "batch_number": batch_number,
            "disc_level": dose.disc_level, "viable_cells": dose.viable_cells,
            "expires_at": _time(dose.expires_at), "expired": dose.expired,
            "seconds_left": max(int(dose.time_left.total_seconds()), 0),
            "administered_at": _time(dose.administered_at)}


def order_json(row: OrderReadiness) -> dict:
    order, batch = row.order, row.batch
    number = batch.batch_number if batch else None
    return {
        "order_number": order.order_number,
        "patient": {"record_number": order.patient.record_number,
                    "name": order.patient.display_name},
        "treating_clinician": order.treating_clinician.full_name,
        "disc_levels": list(order.levels),
        "cells_per_disc": order.cells_per_disc,
        "planned_procedure_date": _day(order.planned_procedure_date),
        "batch_number": number,
        "readiness": readiness_json(row),
        "doses": [dose_state_json(dose, number) for dose in row.readiness.doses],
    }


def dose_json(dose: Dose, batch: Batch, given: Administration | None, now: datetime) -> dict:
    return {"dose_code": dose.dose_code, "batch_number": batch.batch_number,
            "din": batch.sample.din, "product_code": dose.product_code,
            "order_number": batch.order.order_number, "disc_level": dose.disc_level,
            "viable_cells": dose.viable_cells, "volume_ml": _number(dose.volume_ml),
            "formulated_at": _time(dose.formulated_at), "expires_at": _time(dose.expires_at),
            "released": batch.state in ("released", "completed") and dose.is_current,
            "superseded": not dose.is_current,
            "expired": given is None and dose.expires_at <= now,
            "seconds_left": max(int((dose.expires_at - now).total_seconds()), 0),
            "administered_at": _time(given.administered_at) if given else None}


def count_json(count: CellCount) -> dict:
    return {"id": count.id, "counted_at": _time(count.counted_at), "method": count.method,
            "viable_cells": count.viable_cells, "dead_cells": count.dead_cells,
            "viability_percent": _number(count.viability_percent),
            "passage_number": count.passage_number, "source": count.source}


def batch_json(batch: Batch, growth: BatchGrowth) -> dict:
    order = batch.order
    return {
        "batch_number": batch.batch_number, "order_number": order.order_number,
        "state": batch.state, "state_label": state_label(batch.state),
        "started_at": _time(batch.started_at), "seeded_at": _time(batch.seeded_at),
        "harvested_at": _time(batch.harvested_at), "culture_day": growth.culture_day,
        "target_cells": order.target_cells,
        "progress": _fraction(growth.progress),
        "projection": projection_json(growth.projection),
        "projected_ready": ready_json(growth.ready),
        "at_risk": growth.at_risk,
        "counts": [count_json(count) for count in growth.counts],
    }
