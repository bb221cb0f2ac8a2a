"""Reagent lots and equipment: registration, QA decisions on lots, calibration, recall.

Roles: lab technicians and QA register lots (in quarantine) and equipment, and record
calibrations and service status; releasing or rejecting a lot is a QA decision, with a
reason. Nothing is ever deleted: every change is audited with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from labtrack.accounts.models import User
from labtrack.audit import capture as audit
from labtrack.errors import ServiceError
from labtrack.extensions import db
from labtrack.inventory.models import Equipment, ReagentLot
from labtrack.inventory.rules.lots import LotStatus, decisions_from
from labtrack.inventory.terms import lot_status_word
from labtrack.web.policy import Area, require_area

REGISTRARS = (Area.BENCH, Area.QUALITY)
MAX_CODES = 20


@dataclass(frozen=True)
class LotData:
    material: str
    manufacturer: str
    lot_number: str
    expiry_date: date | None
    notes: str | None = None


@dataclass(frozen=True)
class EquipmentData:
    identifier: str
    kind: str
    calibration_due: date | None
    description: str | None = None



def _require(acting: User, areas, message: str) -> None:
    require_area(acting.role, areas, message)
    audit.attribute_to(db.session, acting)


def _text(value: str | None, field: str, length: int, required: bool = True) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(_("This field is required."), field=field)
    if len(text) > length:
        raise ServiceError(_("At most %(count)d characters.", count=length), field=field)
    return text or None


def register_lot(acting: User, data: LotData) -> ReagentLot:
    """Register a received lot, in quarantine until QA releases it; commits."""
    _require(acting, REGISTRARS, _("Only lab or QA staff may register reagent lots."))
    material = _text(data.material, "material", 100)
    lot_number = _text(data.lot_number, "lot_number", 50).upper()
    if data.expiry_date is None:
        raise ServiceError(_("Enter the expiry date."), field="expiry_date")
    same_number = db.session.scalars(select(ReagentLot.material).where(
        func.upper(ReagentLot.lot_number) == lot_number))
    if material.casefold() in {other.casefold() for other in same_number}:
        raise ServiceError(_("Lot %(lot)s of %(material)s is already registered.",
                             lot=lot_number, material=material), field="lot_number")
    lot = ReagentLot(material=material, manufacturer=_text(data.manufacturer, "manufacturer", 100),
                     lot_number=lot_number, expiry_date=data.expiry_date,
                     status=LotStatus.QUARANTINE,
                     notes=_text(data.notes, "notes", 2000, required=False))
    db.session.add(lot)
    db.session.commit()
    return lot


def decide_lot(acting: User, lot: ReagentLot, status: str, why: str) -> ReagentLot:
    """QA releases, rejects or re-quarantines a lot, with a reason; commits."""
    _require(acting, Area.QUALITY, _("Only QA may release or reject a reagent lot."))
    if status not in decisions_from(lot.status):
        raise ServiceError(_("A lot that is %(current)s cannot become %(target)s.",
                             current=lot_status_word(lot.status),
                             target=lot_status_word(status)), field="status")
    with audit.reason(db.session, why):
        lot.status = status
        db.session.commit()
    return lot


def register_equipment(acting: User, data: EquipmentData) -> Equipment:
    """Register a piece of equipment with its calibration due date; commits."""
    _require(acting, REGISTRARS, _("Only lab or QA staff may register equipment."))
    identifier = _text(data.identifier, "identifier", 50).upper()
    if data.calibration_due is None:
        raise ServiceError(_("Enter the date the calibration is due."), field="calibration_due")
    if find_equipment(identifier) is not None:
        raise ServiceError(_("Equipment %(item)s is already registered.", item=identifier),
                           field="identifier")
    item = Equipment(identifier=identifier, kind=_text(data.kind, "kind", 50),
                     description=_text(data.description, "description", 200, required=False),
                     calibration_due=data.calibration_due, in_service=True)
    db.session.add(item)
    db.session.commit()
    return item


def record_calibration(acting: User, item: Equipment, calibration_due: date | None,
                       why: str) -> Equipment:
    """Record a calibration: the new due date, with a reason (e.g. the certificate); commits."""
    _require(acting, REGISTRARS, _("Only lab or QA staff may record a calibration."))
    if calibration_due is None:
        raise ServiceError(_("Enter the date the next calibration is due."),
                           field="calibration_due")
    with audit.reason(db.session, why):
        item.calibration_due = calibration_due
        db.session.commit()
    return item


def set_in_service(acting: User, item: Equipment, in_service: bool, why: str) -> Equipment:
    """Take equipment out of service or back into it, with a reason; commits."""
    _require(acting, REGISTRARS, _("Only lab or QA staff may change the equipment status."))
    if item.in_service == in_service:
        raise ServiceError(_("The equipment is already in that state."), field="in_service")
    with audit.reason(db.session, why):
        item.in_service = in_service
        db.session.commit()
    return item


def _search(columns, text: str | None):
    words = (text or "").strip()[:100].upper()
    if not words:
        return None
    return or_(*(func.upper(column).contains(words, autoescape=True) for column in columns))


def lots_query(status: str | None = None, search: str | None = None) -> Select:
    """Lots by material then expiry, optionally filtered by status or text."""
    query = select(ReagentLot).order_by(ReagentLot.material, ReagentLot.expiry_date,
                                        ReagentLot.id)
    if status in set(LotStatus):
        query = query.where(ReagentLot.status == status)
    condition = _search((ReagentLot.material, ReagentLot.lot_number, ReagentLot.manufacturer),
                        search)
    return query.where(condition) if condition is not None else query


def equipment_query(search: str | None = None) -> Select:
    """Equipment by identifier, optionally filtered by text."""
    query = select(Equipment).order_by(Equipment.identifier)
    condition = _search((Equipment.identifier, Equipment.kind, Equipment.description), search)
    return query.where(condition) if condition is not None else query


def usable_lots(day: date) -> list[ReagentLot]:
    """Released lots not expired on ``day`` (the choices offered on a step form)."""
    return list(db.session.scalars(
        select(ReagentLot).where(ReagentLot.status == LotStatus.RELEASED,
                                 ReagentLot.expiry_date >= day)
        .order_by(ReagentLot.material, ReagentLot.expiry_date)))


def usable_equipment(day: date) -> list[Equipment]:
    """Equipment in service and in calibration on ``day``."""
    return list(db.session.scalars(
        select(Equipment).where(Equipment.in_service.is_(True),
                                Equipment.calibration_due >= day)
        .order_by(Equipment.identifier)))


def usable_lot(lot_id: int, day: date, field: str = "lots") -> ReagentLot:
    """A released lot within its expiry on ``day``, else a refusal saying which and why.

    The one check of a lot at the bench: culture steps and the harvest both use it.
    """
    lot = db.session.get(ReagentLot, lot_id)
    if lot is None:
        raise ServiceError(_("Unknown reagent lot."), field=field)
    if lot.status != LotStatus.RELEASED:
        raise ServiceError(_("Lot %(lot)s of %(material)s is not released (%(status)s).",
                             lot=lot.lot_number, material=lot.material,
                             status=lot_status_word(lot.status)), field=field)
    if lot.expiry_date < day:
        raise ServiceError(_("Lot %(lot)s of %(material)s expired on %(date)s.",
                             lot=lot.lot_number, material=lot.material,
                             date=lot.expiry_date.isoformat()), field=field)
    return lot


def usable_item(item_id: int, day: date, field: str = "equipment_ids") -> Equipment:
    """Equipment in service and in calibration on ``day``, else a refusal saying why."""
    item = db.session.get(Equipment, item_id)
    if item is None:
        raise ServiceError(_("Unknown equipment."), field=field)
    if not item.in_service:
        raise ServiceError(_("%(item)s is out of service.", item=item.identifier),
                           field=field)
    if item.calibration_due < day:
        raise ServiceError(_("%(item)s is out of calibration (due %(date)s).",
                             item=item.identifier, date=item.calibration_due.isoformat()),
                           field=field)
    return item


def find_equipment(identifier: str) -> Equipment | None:
    """Equipment by identifier (case-insensitive)."""
    text = (identifier or "").strip().upper()
    return db.session.scalar(select(Equipment).where(
        or_(Equipment.identifier == text, func.upper(Equipment.identifier) == text)).limit(1))


def parse_codes(text: str | None) -> list[tuple[str, str | None]]:
    """Scanned or typed codes, one per line (or comma-separated); ``CODE;quantity`` allowed."""
    entries = []
    for part in (text or "").replace(",", "\n").splitlines():
        code, _sep, quantity = part.partition(";")
        if code.strip():
            entries.append((code.strip().upper(), quantity.strip()[:50] or None))
    if len(entries) > MAX_CODES:
        raise ServiceError(_("At most %(count)d codes at once.", count=MAX_CODES))
    return entries


def lots_from_codes(text: str | None) -> list[tuple[int, str | None]]:
    """(lot id, quantity) for each scanned lot number; unknown or ambiguous ones refused."""
    found = []
    for code, quantity in _codes(text, "lot_codes"):
        lots = db.session.scalars(select(ReagentLot).where(
            func.upper(ReagentLot.lot_number) == code)).all()
        if not lots:
            raise ServiceError(_("No reagent lot %(code)s is registered.", code=code),
                               field="lot_codes")
        if len(lots) > 1:
            raise ServiceError(_("Lot number %(code)s exists for several materials: choose it "
                                 "from the list.", code=code), field="lot_codes")
        found.append((lots[0].id, quantity))
    return found


def equipment_from_codes(text: str | None) -> list[int]:
    """Equipment ids for each scanned identifier; unknown ones refused."""
    found = []
    for code, _quantity in _codes(text, "equipment_codes"):
        item = find_equipment(code)
        if item is None:
            raise ServiceError(_("No equipment %(code)s is registered.", code=code),
                               field="equipment_codes")
        found.append(item.id)
    return found


def _codes(text: str | None, field: str) -> list[tuple[str, str | None]]:
    try:
        return parse_codes(text)
    except ServiceError as error:
        raise ServiceError(error.message, field=field) from None
