"""Demo patients treated in the past, with their follow-up: a year of visits for most,
one lost to follow-up, one whose 3-month visit is due today, and two adverse events.

Each is made through the use cases, as users would: the culture, QC and release as of a
day in the past (the release's time and the doses' expiry moved back afterwards, on the
record with a reason), the injection, then the visits. Figures are fixed, so the cohort
report reads the same on any date: improved in 5 of 6.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from labtrack import clock
from labtrack.clinic import administration, adverse_events, followup
from labtrack.clinic.adverse_events import EventData
from labtrack.clinic.followup import DiscData, FollowUpSettings, VisitData
from labtrack.culture import harvest
from labtrack.culture.harvest import FormulationData, HarvestData
from labtrack.demo.lab import DemoCulture, grow_culture, verify_critical_steps
from labtrack.demo.release import PASSING, _cells_at_harvest, _release
from labtrack.demo.release import _test as test_batch

# Day after the injection → (back pain 0–10, leg pain, ODI total of 50), per course.
RESPONDER = {-2: (7, 5, 23), 8: (5, 3, 20), 92: (4, 2, 15), 183: (3, 2, 12), 366: (2, 1, 9)}
SLOW = {-3: (8, 6, 26), 6: (7, 5, 25), 90: (5, 4, 22), 180: (5, 3, 20), 370: (5, 3, 17)}
NONE = {-1: (7, 6, 24), 7: (7, 6, 24), 95: (7, 5, 24), 185: (6, 6, 23), 362: (6, 5, 23)}
LOST = {-2: (8, 4, 25), 9: (6, 3, 22), 93: (5, 3, 19)}
EARLY = {-1: (7, 4, 22), 7: (6, 3, 20)}


@dataclass(frozen=True)
class DemoTreated:
    plan: DemoCulture
    injected_days_ago: int
    course: dict
    pfirrmann: tuple[int, int] = (4, 4)  # at baseline, at 12 months
    cells_millions: int = 20  # per dose
    viability: str = "94"  # % at release


def _plan(record_number, given, family, born, sex, levels, doubling) -> DemoCulture:
    return DemoCulture(record_number, given, family, born, sex, levels, age=21, procedure_in=1,
                       doubling=doubling, medium_days=(5, 9, 13, 18), passage_days=(10, 15),
                       count_days=(4, 10, 15, 20), last_confluence=70, verified_seeding=False)


TREATED = (
    DemoTreated(_plan("HC099101", "Carlos", "Gil", date(1964, 5, 2), "M", ("L4-L5",), 1.9),
                395, RESPONDER, (4, 3), 23, "95"),
    DemoTreated(_plan("HC099102", "Elena", "Prieto", date(1971, 8, 30), "F",
                      ("L4-L5", "L5-S1"), 2.2), 388, SLOW, cells_millions=21, viability="92"),
    DemoTreated(_plan("HC099103", "Miguel", "Santos", date(1960, 1, 17), "M", ("L5-S1",), 2.8),
                381, NONE, cells_millions=17, viability="86"),
    DemoTreated(_plan("HC099104", "Nuria", "Blanco", date(1968, 11, 9), "F", ("L4-L5",), 2.0),
                376, RESPONDER, (3, 3), 22, "93"),
    DemoTreated(_plan("HC099105", "Raúl", "Herrera", date(1957, 3, 23), "M",
                      ("L3-L4", "L4-L5"), 2.4), 372, SLOW, cells_millions=19, viability="90"),
    DemoTreated(_plan("HC099106", "Sofía", "Cano", date(1975, 6, 12), "F", ("L5-S1",), 2.1),
                368, RESPONDER, (4, 3), 24, "96"),
    DemoTreated(_plan("HC099107", "Pedro", "Lozano", date(1962, 9, 5), "M", ("L4-L5",), 2.3),
                430, LOST, cells_millions=18, viability="91"),
    DemoTreated(_plan("HC099108", "Irene", "Molina", date(1979, 2, 27), "F", ("L5-S1",), 2.0),
                91, EARLY),
)


def seed_followup(ctx, qa_password: str) -> None:
    """Treat each past patient and record their visits and adverse events."""
    settings = FollowUpSettings.from_config(ctx.config)
    for number, item in enumerate(TREATED):
        order = _treat(ctx, item, qa_password)
        injected = ctx.today - timedelta(days=item.injected_days_ago)
        for day, scores in item.course.items():
            _visit(ctx, settings, order, item, injected, day, scores)
        if number == 1:
            _event(ctx, order, injected + timedelta(days=2), "Low back pain flare for three "
                   "days after the injection, settled with paracetamol",
                   criteria=(), severity="mild", product="unlikely", procedure="probable",
                   action="treatment", outcome="recovered")
        if number == 4:
            _event(ctx, order, injected + timedelta(days=6), "Fever and increased back pain; "
                   "admitted for two days to rule out discitis (cultures negative)",
                   criteria=("hospitalisation",), severity="moderate", product="possible",
                   procedure="possible", action="hospitalisation", outcome="recovered")


def _treat(ctx, item: DemoTreated, qa_password: str):
    """Culture, QC and release as of the day of the injection; then inject every dose."""
    # Every step happens on the day of the injection: the use cases are called as of
    # then (clock.pretend_now), so the release, its signature and the administration
    # carry that day's times and pass the same checks a user meets.
    past = dataclasses.replace(ctx, now=ctx.now - timedelta(days=item.injected_days_ago))
    batch = grow_culture(past, item.plan)
    harvested_at = past.now - timedelta(hours=5)
    viable = _cells_at_harvest(batch, item.plan, harvested_at)
    harvest.harvest(past.tech, batch, HarvestData(
        harvested_at=harvested_at, viable_cells=viable, dead_cells=viable // 16), past.tz)
    harvest.formulate(past.tech, batch, FormulationData(
        formulated_at=harvested_at + timedelta(hours=1), volume_ml=Decimal("2.00"),
        container="3 mL syringe, Luer lock", cells_per_dose=item.cells_millions * 10**6),
        past.tz, ctx.config["DOSE_SHELF_LIFE_HOURS"])
    test_batch(past, batch, {**PASSING, "viability": item.viability, "sterility": "no growth"},
               harvested_at + timedelta(hours=2))
    with clock.pretend_now(harvested_at + timedelta(hours=2, minutes=30)):
        verify_critical_steps(past, batch)
    with clock.pretend_now(harvested_at + timedelta(hours=3)):
        _release(past, batch, qa_password)
    given_at = harvested_at + timedelta(hours=4)
    with clock.pretend_now(given_at + timedelta(minutes=1)):
        for dose in harvest.batch_doses(batch):
            administration.record_administration(
                ctx.clinician, batch.order.patient.record_number, dose.dose_code,
                dose.disc_level, "Fluoroscopy-guided intradiscal injection", given_at)
    return batch.order


def odi_answers(total: int) -> list[int]:
    """Ten section scores adding up to ``total`` (0–50), spread evenly."""
    return [total // 10 + (1 if section < total % 10 else 0) for section in range(10)]


def _visit(ctx, settings, order, item: DemoTreated, injected: date, day: int, scores) -> None:
    keys = {visit.offset_days: visit.key for visit in settings.schedule}
    key = min(keys, key=lambda offset: abs(offset - day)) if day > 0 else 0
    back, leg, odi_total = scores
    discs = ()
    if keys[key] in ("baseline", "month_12"):
        grade = item.pfirrmann[0 if day < 0 else 1]
        discs = [DiscData(level, grade) for level in order.levels]
    followup.record_visit(ctx.clinician, order, VisitData(
        keys[key], injected + timedelta(days=day), back_pain=back, leg_pain=leg,
        odi_answers=odi_answers(odi_total),
        pgic=None if day < 0 else ("much_improved" if back <= 4 else "no_change"),
        analgesics="occasional" if back <= 4 else "regular_non_opioid", discs=discs),
        settings, ctx.tz)


def _event(ctx, order, onset: date, description: str, criteria, severity: str, product: str,
           procedure: str, action: str, outcome: str) -> None:
    adverse_events.report_event(ctx.clinician, order, EventData(
        onset, description, severity, product, procedure, action, outcome,
        criteria=criteria), ctx.tz)
