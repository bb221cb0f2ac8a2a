"""Outcomes: the responder rule, the mean change with its 95 % confidence interval, and
the cohort's "improved in N of M"."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# Student's t, two-sided 95 % (the 0.975 quantile), by degrees of freedom.
T_975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646,
         8: 2.3060, 9: 2.2622, 10: 2.2281, 11: 2.2010, 12: 2.1788, 13: 2.1604, 14: 2.1448,
         15: 2.1314, 16: 2.1199, 17: 2.1098, 18: 2.1009, 19: 2.0930, 20: 2.0860,
         21: 2.0796, 22: 2.0739, 23: 2.0687, 24: 2.0639, 25: 2.0595, 26: 2.0555,
         27: 2.0518, 28: 2.0484, 29: 2.0452, 30: 2.0423, 40: 2.0211, 60: 2.0003,
         120: 1.9799}
Z_975 = 1.9600


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of t with ``df`` degrees of freedom; between the table's rows it
    is interpolated linearly in 1/df, as printed tables are read (beyond 120: normal)."""
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df in T_975:
        return T_975[df]
    rows = sorted(T_975)
    if df > rows[-1]:
        low, high, t_low, t_high = rows[-1], math.inf, T_975[rows[-1]], Z_975
    else:
        high = next(row for row in rows if row > df)
        low = max(row for row in rows if row < df)
        t_low, t_high = T_975[low], T_975[high]
    share = (1 / low - 1 / df) / (1 / low - (0 if high == math.inf else 1 / high))
    return t_low + (t_high - t_low) * share


@dataclass(frozen=True)
class MeanChange:
    """The mean of paired changes (later − baseline) and its 95 % confidence interval
    (None with fewer than two patients)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None


def mean_change(changes: Sequence[float]) -> MeanChange:
    """Mean change with the t-based 95 % confidence interval."""
    values = [float(value) for value in changes]
    if not values:
        return MeanChange(0, None, None, None)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return MeanChange(1, mean, None, None)
    half = t_quantile_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return MeanChange(len(values), mean, mean - half, mean + half)


class Join(StrEnum):
    """How the responder rule's two criteria combine."""

    ANY = "any"  # pain OR disability
    ALL = "all"  # pain AND disability


@dataclass(frozen=True)
class ResponderRule:
    """A responder's pain is at least ``pain_percent`` % lower than at baseline, and/or
    their ODI at least ``odi_points`` points lower (configurable)."""

    pain_percent: Decimal = Decimal(30)
    odi_points: Decimal = Decimal(10)
    join: Join = Join.ANY


def pain_met(baseline: Decimal | None, later: Decimal | None, rule: ResponderRule
             ) -> bool | None:
    """Pain criterion; None when either rating is missing or there was no pain to lower."""
    if baseline is None or later is None or baseline <= 0:
        return None
    return (Decimal(baseline) - Decimal(later)) * 100 >= rule.pain_percent * Decimal(baseline)


def odi_met(baseline: Decimal | None, later: Decimal | None, rule: ResponderRule
            ) -> bool | None:
    """Disability criterion; None when either index is missing."""
    if baseline is None or later is None:
        return None
    return Decimal(baseline) - Decimal(later) >= rule.odi_points


def is_responder(pain: tuple[Decimal | None, Decimal | None],
                 odi: tuple[Decimal | None, Decimal | None],
                 rule: ResponderRule = ResponderRule()) -> bool | None:
    """Whether a patient meets the rule; None when it cannot be told from what was recorded."""
    met = [pain_met(*pain, rule), odi_met(*odi, rule)]
    if rule.join is Join.ANY:
        if True in met:
            return True
        return False if None not in met else None
    if False in met:
        return False
    return True if None not in met else None


@dataclass(frozen=True)
class PatientOutcome:
    """One patient's scores at baseline and at the end point (None when not recorded)."""

    key: str
    baseline_pain: Decimal | None
    final_pain: Decimal | None
    baseline_odi: Decimal | None
    final_odi: Decimal | None
    lost: bool = False  # the end point's window closed without a visit

    @property
    def followed(self) -> bool:
        return self.final_pain is not None or self.final_odi is not None


@dataclass(frozen=True)
class CohortSummary:
    """The cohort at the end point: "improved in ``responders`` of ``assessed``"."""

    treated: int
    followed: int
    lost: int
    assessed: int
    responders: int
    pain: MeanChange
    odi: MeanChange


def summarise(patients: Sequence[PatientOutcome], rule: ResponderRule = ResponderRule()
              ) -> CohortSummary:
    """Responders, followed and lost, and the mean changes of pain and ODI."""
    verdicts = [is_responder((p.baseline_pain, p.final_pain), (p.baseline_odi, p.final_odi),
                             rule) for p in patients]
    pain = [p.final_pain - p.baseline_pain for p in patients
            if p.final_pain is not None and p.baseline_pain is not None]
    odi = [p.final_odi - p.baseline_odi for p in patients
           if p.final_odi is not None and p.baseline_odi is not None]
    return CohortSummary(
        treated=len(patients), followed=sum(p.followed for p in patients),
        lost=sum(p.lost and not p.followed for p in patients),
        assessed=sum(v is not None for v in verdicts), responders=sum(v is True for v in verdicts),
        pain=mean_change(pain), odi=mean_change(odi))
