"""Bone-marrow sample acceptance rules (configurable limits, pure evaluation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class AcceptanceRules:
    """The lab's limits for accepting a sample."""

    max_hours_to_receipt: float = 24
    min_volume_ml: Decimal = Decimal(30)
    max_volume_ml: Decimal = Decimal(150)
    min_temperature_c: Decimal = Decimal(15)
    max_temperature_c: Decimal = Decimal(25)


@dataclass(frozen=True)
class SampleFacts:
    """What the technician records at receipt."""

    collected_at: datetime
    received_at: datetime
    volume_ml: Decimal
    temperature_c: Decimal
    container_intact: bool


@dataclass(frozen=True)
class FailedRule:
    """A rule the sample breaks: a stable code, an English message and its parameters."""

    code: str
    message: str
    params: dict = field(default_factory=dict)


def evaluate_sample(rules: AcceptanceRules, facts: SampleFacts) -> list[FailedRule]:
    """Every acceptance rule the sample breaks (empty when it may be accepted)."""
    failed = []
    hours = (facts.received_at - facts.collected_at).total_seconds() / 3600
    if hours > rules.max_hours_to_receipt:
        failed.append(FailedRule(
            "transit_time", "Received {hours:.1f} h after collection (limit {limit} h)",
            {"hours": round(hours, 1), "limit": rules.max_hours_to_receipt}))
    if not rules.min_volume_ml <= facts.volume_ml <= rules.max_volume_ml:
        failed.append(FailedRule(
            "volume", "Volume {value} mL outside {low}–{high} mL",
            {"value": str(facts.volume_ml), "low": str(rules.min_volume_ml),
             "high": str(rules.max_volume_ml)}))
    if not rules.min_temperature_c <= facts.temperature_c <= rules.max_temperature_c:
        failed.append(FailedRule(
            "temperature", "Temperature {value} °C outside {low}–{high} °C",
            {"value": str(facts.temperature_c), "low": str(rules.min_temperature_c),
             "high": str(rules.max_temperature_c)}))
    if not facts.container_intact:
        failed.append(FailedRule("container", "Container not intact", {}))
    return failed


def describe(rule: FailedRule) -> str:
    """The English description of a failed rule."""
    return rule.message.format(**rule.params)
