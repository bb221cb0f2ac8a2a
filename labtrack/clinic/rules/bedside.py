"""Which dose the bedside scans name: one 2-D scan, two linear scans, or a typed dose code.

A dose label carries the DIN and the dose's product code as two Code 128 symbols (scanned
in either order) and both, with the expiry, in one Data Matrix. The first of two linear
scans is held until the other arrives; anything that cannot complete a dose's identity
(the same structure twice, the expiry alone, a compound message without both) is a
misread label, named for what was scanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from labtrack.identity.rules.isbt128 import Din
from labtrack.identity.rules.scans import Scan, ScanKind


class Misread(StrEnum):
    DIN_TWICE = "din_twice"  # a DIN where the product code was expected (a tube label)
    PRODUCT_CODE_TWICE = "product_code_twice"
    EXPIRY_ONLY = "expiry_only"
    INCOMPLETE_COMPOUND = "incomplete_compound"


@dataclass(frozen=True)
class DoseIdentity:
    """What names the dose: its DIN and product code (and the label's expiry), or the
    dose code typed off the label."""

    din: Din | None = None
    product_code: str | None = None
    expiry: str | None = None
    dose_code: str | None = None


@dataclass(frozen=True)
class AwaitingOther:
    """Half of a dose's identity: the DIN or the product code, waiting for the other."""

    held: Scan

    @property
    def needs(self) -> ScanKind:
        return ScanKind.PRODUCT_CODE if self.held.kind is ScanKind.DIN else ScanKind.DIN


@dataclass(frozen=True)
class MisreadLabel:
    problem: Misread
    scanned: Scan


PAIRS = {ScanKind.DIN: ScanKind.PRODUCT_CODE, ScanKind.PRODUCT_CODE: ScanKind.DIN}
TWICE = {ScanKind.DIN: Misread.DIN_TWICE, ScanKind.PRODUCT_CODE: Misread.PRODUCT_CODE_TWICE}


def combine(scans: Sequence[Scan]) -> DoseIdentity | AwaitingOther | MisreadLabel:
    """The dose the scans name, in the order scanned (a held scan first, then the new one)."""
    last = scans[-1]
    if last.kind is ScanKind.TEXT:
        return DoseIdentity(dose_code=last.text)
    if last.kind is ScanKind.EXPIRY:
        return MisreadLabel(Misread.EXPIRY_ONLY, last)
    if last.kind is ScanKind.COMPOUND:
        if last.din is None or last.product_code is None:
            return MisreadLabel(Misread.INCOMPLETE_COMPOUND, last)
        return DoseIdentity(last.din, last.product_code, last.expiry)
    held = scans[-2] if len(scans) > 1 else None
    if held is None or held.kind not in PAIRS:
        return AwaitingOther(last)
    if held.kind is last.kind:
        return MisreadLabel(TWICE[last.kind], last)
    din, code = (held, last) if held.kind is ScanKind.DIN else (last, held)
    return DoseIdentity(din.din, code.product_code)
