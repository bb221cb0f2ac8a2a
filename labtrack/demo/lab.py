"""Demo lab data: lots, equipment, patients, orders and batches at several stages.

Everything is made through the services, as users would, backdated where a culture
started weeks ago (the batch's start is moved back with an audit reason; the services
refuse future times, not past ones). Growth is realistic for bone-marrow MSC: a doubling
time of 1.5–3 days, about five doublings per passage, 20 million cells per disc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from labtrack import clock
from labtrack.accounts import signatures
from labtrack.accounts.models import User
from labtrack.accounts.rules.signatures import Meaning
from labtrack.accounts.users import AccountPolicy
from labtrack.audit import capture as audit
from labtrack.audit.capture import Actor
from labtrack.culture import batches, counts
from labtrack.culture import steps as culture
from labtrack.culture.counts import CountData
from labtrack.culture.models import Batch, CultureStep
from labtrack.culture.rules.protocol import CultureProtocol
from labtrack.culture.steps import StepData
from labtrack.extensions import db
from labtrack.inventory import inventory
from labtrack.inventory.inventory import EquipmentData, LotData
from labtrack.inventory.rules.lots import LotStatus
from labtrack.orders import orders
from labtrack.orders.orders import OrderData, PatientData
from labtrack.quality.rules.verification import critical_steps
from labtrack.samples import receipt as samples
from labtrack.samples.receipt import ReceiptData

# (material, manufacturer, lot, days to expiry, released?)
LOTS = (
    ("Ficoll-Paque PREMIUM", "Cytiva", "10334567", 400, True),
    ("α-MEM", "Gibco", "2751234", 300, True),
    ("Human platelet lysate", "Macopharma", "HPL24-118", 200, True),
    ("TrypLE Select", "Gibco", "2790456", 250, True),
    ("DPBS", "Gibco", "2698011", 500, True),
    ("Trypsin-EDTA 0.05 %", "Gibco", "2543210", -20, True),  # expired: refused at the bench
    ("Human platelet lysate", "Macopharma", "HPL25-007", 365, False),  # still in quarantine
)
# (identifier, kind, description, days to calibration due)
EQUIPMENT = (
    ("BSC-01", "Biosafety cabinet", "Class II, grade A, room 2", 120),
    ("INC-01", "CO₂ incubator", "37 °C, 5 % CO₂", 90),
    ("INC-02", "CO₂ incubator", "37 °C, 5 % CO₂ (calibration overdue)", -10),
    ("CEN-01", "Centrifuge", "Refrigerated, swing-out rotor", 150),
    ("CNT-01", "Automated cell counter", "Acridine orange / DAPI", 60),
    ("MIC-01", "Inverted microscope", "Phase contrast", 200),
)
STEP_MATERIALS = {  # lots (by lot number) and equipment used by each kind of step
    "isolation": (("10334567", "2698011"), ("BSC-01", "CEN-01")),
    "seeding": (("2751234", "HPL24-118"), ("BSC-01", "INC-01")),
    "non_adherent_removal": (("2751234", "HPL24-118", "2698011"), ("BSC-01",)),
    "medium_change": (("2751234", "HPL24-118"), ("BSC-01",)),
    "observation": ((), ("MIC-01",)),
    "passage": (("2790456", "2751234", "HPL24-118", "2698011"), ("BSC-01", "CEN-01", "CNT-01")),
}
FLASK_CM2 = 175


@dataclass(frozen=True)
class DemoCulture:
    """One patient's batch: how old it is and how it was grown."""

    record_number: str
    given_name: str
    family_name: str
    born: date
    sex: str
    levels: tuple[str, ...]
    age: int  # culture day today
    procedure_in: int  # days from today
    doubling: float  # days
    medium_days: tuple[int, ...] = ()
    passage_days: tuple[int, ...] = ()
    count_days: tuple[int, ...] = ()
    removal_day: int = 2
    last_confluence: int = 50
    verified_seeding: bool = True
    contamination_day: int | None = None
    deviations: dict = field(default_factory=dict)  # day → description (step outside window)


CULTURES = (
    DemoCulture("HC100231", "Marta", "Iglesias", date(1968, 2, 11), "F", ("L5-S1",), age=2,
                procedure_in=30, doubling=2.2, verified_seeding=False),
    DemoCulture("HC100487", "Andrés", "Moreno", date(1975, 9, 3), "M", ("L4-L5", "L5-S1"),
                age=9, procedure_in=21, doubling=1.9, medium_days=(6,), count_days=(4, 6, 8),
                last_confluence=60),
    DemoCulture("HC100512", "Rosa", "Delgado", date(1961, 6, 28), "F", ("L4-L5", "L5-S1"),
                age=14, procedure_in=14, doubling=2.0, medium_days=(7, 13), passage_days=(10,),
                count_days=(5, 8, 10, 13), last_confluence=72, verified_seeding=False,
                deviations={7: "No technician on site on days 5–6 (public holiday); the medium "
                               "was changed first thing on day 7. Medium colour was normal."}),
    DemoCulture("HC100655", "Tomás", "Ferrer", date(1958, 12, 1), "M",
                ("L3-L4", "L4-L5", "L5-S1"), age=12, procedure_in=6, doubling=2.9,
                removal_day=3, medium_days=(6, 9), count_days=(5, 8, 11), last_confluence=45,
                verified_seeding=False),
    DemoCulture("HC100702", "Lucía", "Serrano", date(1980, 4, 19), "F", ("L5-S1",), age=8,
                procedure_in=20, doubling=2.1, medium_days=(5,), count_days=(3, 5),
                last_confluence=30, contamination_day=6, verified_seeding=False),
    DemoCulture("HC100733", "Jorge", "Navas", date(1972, 1, 7), "M", ("L4-L5", "L5-S1"),
                age=20, procedure_in=5, doubling=2.3, medium_days=(5, 11),  # one missed
                passage_days=(8, 14), count_days=(4, 6, 8, 11, 14, 17, 19),
                last_confluence=65),
)
BENCH_JOURNEY = CULTURES[1]  # medium change due today: the browser test's batch


@dataclass
class _Context:
    tech: User
    tech2: User
    qa: User
    clinician: User
    policy: AccountPolicy
    tz: ZoneInfo
    config: dict
    verifier_password: str
    tech_password: str = ""
    lots: dict[str, int] = field(default_factory=dict)
    equipment: dict[str, int] = field(default_factory=dict)

    now: datetime = field(default_factory=clock.utcnow)  # one instant for the whole demo

    @property
    def today(self) -> date:
        return clock.local_date(self.now, self.tz)

    @property
    def protocol(self) -> CultureProtocol:
        return culture.protocol_from_config(self.config)


def seed_lab(users: dict[str, User], passwords: dict[str, str], policy: AccountPolicy,
             tz: ZoneInfo, config) -> _Context:
    """Create the demo lots, equipment, patients, orders and batches (commits as it goes).

    ``users`` and ``passwords`` are by demo user name (tech, tech2, qa, clinician). Returns
    the context, for later demo stages to build on.
    """
    ctx = _Context(users["tech"], users["tech2"], users["qa"], users["clinician"], policy, tz,
                   config, passwords["tech2"], passwords["tech"])
    _inventory(ctx)
    for plan in CULTURES:
        _culture(ctx, plan)
    return ctx


def _inventory(ctx: _Context) -> None:
    for material, maker, number, expires_in, released in LOTS:
        lot = inventory.register_lot(ctx.tech, LotData(
            material, maker, number, ctx.today + timedelta(days=expires_in)))
        if released:
            inventory.decide_lot(ctx.qa, lot, LotStatus.RELEASED,
                                 "Certificate of analysis reviewed; meets specification")
        ctx.lots[number] = lot.id
    for identifier, kind, description, due_in in EQUIPMENT:
        item = inventory.register_equipment(ctx.tech, EquipmentData(
            identifier, kind, ctx.today + timedelta(days=due_in), description))
        ctx.equipment[identifier] = item.id


def _at(ctx: _Context, seeded_on: date, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(seeded_on + timedelta(days=day), time(hour, minute), tzinfo=ctx.tz)


def _culture(ctx: _Context, plan: DemoCulture) -> None:
    grow_culture(ctx, plan)


def grow_culture(ctx: _Context, plan: DemoCulture) -> Batch:
    """Start a batch ``plan.age`` days ago and record its culture up to yesterday."""
    seeded_on = ctx.today - timedelta(days=plan.age)
    batch = _start_batch(ctx, plan, seeded_on)
    _step(ctx, batch, "isolation", _at(ctx, seeded_on, 0, 10, 30), cells=150_000_000)
    seeding = _step(ctx, batch, "seeding", _at(ctx, seeded_on, 0, 11, 30), flasks=4,
                    surface_cm2=Decimal(4 * FLASK_CM2), seeding_density=160_000,
                    cells=112_000_000)
    if plan.verified_seeding:
        _verify(ctx, seeding)
    for day in range(1, plan.age):
        _culture_day(ctx, plan, batch, seeded_on, day)
        if day == plan.contamination_day:
            _terminate(ctx, batch)
            break
    return batch


def _start_batch(ctx: _Context, plan: DemoCulture, seeded_on: date) -> Batch:
    patient = orders.register_patient(ctx.clinician, PatientData(
        plan.record_number, plan.given_name, plan.family_name, plan.born, plan.sex), ctx.today)
    order = orders.create_order(ctx.clinician, patient, OrderData(
        disc_levels=plan.levels, cells_per_disc=ctx.config["DEFAULT_CELLS_PER_DISC"],
        tolerance_percent=ctx.config["DEFAULT_TOLERANCE_PERCENT"],
        planned_procedure_date=ctx.today + timedelta(days=plan.procedure_in),
        treating_clinician_id=ctx.clinician.id,
        authorisation_reference=f"AEMPS-PEI-{plan.record_number[-4:]}",
        authorisation_granted_on=seeded_on - timedelta(days=14),
        authorisation_levels=plan.levels), ctx.today)
    received = _at(ctx, seeded_on, 0, 9)
    outcome = samples.receive_sample(ctx.tech, order, ReceiptData(
        din=None, collected_at=received - timedelta(hours=2, minutes=30),
        collection_site="Right posterior iliac crest", volume_ml=Decimal("60.0"),
        anticoagulant="Heparin", collected_by=ctx.clinician.full_name, received_at=received,
        temperature_c=Decimal("21.0"), container_intact=True,
        tube_record_number=patient.record_number, tube_patient_name=patient.display_name),
        samples.rules_from_config(ctx.config), ctx.config["FACILITY_ID"])
    batch = outcome.batch
    with audit.reason(db.session, "Demo data: batch started in the past"):
        batch.started_at = received
        db.session.commit()
    return batch


def cells_on(plan: DemoCulture, day: int) -> int:
    """Viable cells in the culture: exponential from day 4, with a little counting noise."""
    grown = 500_000 * 2 ** ((day - 4) / plan.doubling)
    return int(grown * (1 + 0.05 * math.sin(day * 1.7)))


def grown_from(cells: int, days: float, plan: DemoCulture) -> int:
    """``cells`` after ``days`` of growth at the plan's doubling time (no counting noise)."""
    return int(cells * 2 ** (days / plan.doubling))


def _confluence(plan: DemoCulture, day: int) -> int:
    """Confluence seen on ``day``: 75 % on a passage day, else rising towards the last value."""
    upcoming = [p for p in plan.passage_days if p >= day]
    if upcoming:
        return max(10, 75 - (upcoming[0] - day) * 11)
    return max(10, plan.last_confluence - (plan.age - 1 - day) * 10)


def _culture_day(ctx: _Context, plan: DemoCulture, batch: Batch, seeded_on: date,
                 day: int) -> None:
    tech = ctx.tech if day % 3 else ctx.tech2
    passage = day in plan.passage_days
    if _observe_today(plan, day):
        contaminated = day == plan.contamination_day
        _step(ctx, batch, "observation", _at(ctx, seeded_on, day, 9), tech,
              confluence_percent=_confluence(plan, day), contamination_signs=contaminated,
              morphology=("Turbid medium, floating particles" if contaminated
                          else "Spindle-shaped, fibroblast-like"))
    if day == plan.removal_day:
        _step(ctx, batch, "non_adherent_removal", _at(ctx, seeded_on, day, 10), tech)
    if day in plan.medium_days:
        _step(ctx, batch, "medium_change", _at(ctx, seeded_on, day, 10), tech,
              deviation=plan.deviations.get(day))
    if passage:
        cells = cells_on(plan, day)
        flasks = 4 * 3 ** (plan.passage_days.index(day) + 1)
        _step(ctx, batch, "passage", _at(ctx, seeded_on, day, 11), tech, split_ratio="1:3",
              confluence_percent=75, flasks=flasks, surface_cm2=Decimal(flasks * FLASK_CM2),
              seeding_density=cells // (flasks * FLASK_CM2), cells=cells)
    if day in plan.count_days:
        viable = cells_on(plan, day)
        counts.log_count(tech, batch, CountData(
            counted_at=_at(ctx, seeded_on, day, 11, 30), method="automated",
            viable_cells=viable, dead_cells=viable * (5 + day % 3) // 100))
        db.session.commit()


def _observe_today(plan: DemoCulture, day: int) -> bool:
    """Every other day, on passage days and yesterday: never more than two days apart."""
    return (day % 2 == 1 or day in plan.passage_days or day == plan.age - 1
            or day == plan.contamination_day)


def _step(ctx: _Context, batch: Batch, kind: str, at: datetime, tech: User | None = None,
          deviation: str | None = None, **values) -> CultureStep:
    lot_numbers, identifiers = STEP_MATERIALS[kind]
    data = StepData(kind=kind, performed_at=at, lots=[(ctx.lots[n], None) for n in lot_numbers],
                    equipment_ids=[ctx.equipment[i] for i in identifiers], **values)
    return culture.record_protocol_step(tech or ctx.tech, batch, data, ctx.protocol, ctx.tz,
                                        deviation)


def _verify(ctx: _Context, step: CultureStep) -> None:
    """Second-person verification by the other technician, signed."""
    verifier, password = ((ctx.tech, ctx.tech_password) if step.performed_by_id == ctx.tech2.id
                          else (ctx.tech2, ctx.verifier_password))

    def sign(record_type, record_id, content):
        return signatures.sign(verifier, password, Meaning.VERIFIED, record_type,
                               record_id, content, ctx.policy,
                               Actor(verifier.id, verifier.username))

    culture.verify_step(verifier, step, sign)


def verify_critical_steps(ctx: _Context, batch: Batch) -> None:
    """The other technician verifies each step the protocol marks critical (before release)."""
    critical = critical_steps(ctx.config.get("CULTURE_CRITICAL_STEPS"))
    for step in culture.steps_in_force(batch):
        if step.kind in critical and step.verified_by_id is None:
            _verify(ctx, step)


def _terminate(ctx: _Context, batch: Batch) -> None:
    batches.change_state(ctx.tech, batch, "on_hold",
                         "Turbid medium and floating particles in flask 2: suspected "
                         "bacterial contamination. QA informed.")
    db.session.commit()
    batches.change_state(ctx.qa, batch, "terminated",
                         "Bacterial contamination confirmed (Gram-negative rods on Gram stain). "
                         "Culture destroyed; the treating clinician was informed.")
    db.session.commit()
