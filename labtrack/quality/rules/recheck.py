"""QA's review judges every QC result again: a recorded verdict that disagrees with the
result as it stands (a value changed in the database after entry) blocks release.

Release never trusts the stored verdict: the checklist reads the verdict worked out again
from the result and the batch's specification version. A disagreement is a data-integrity
problem, not a specification one, so no exceptional release can cover it.
"""

from __future__ import annotations

from collections.abc import Iterable

from labtrack.qms.rules.specification import EvaluatedResult, format_number
from labtrack.quality.rules.release import ChecklistItem, ItemKind


def disagreements(results: Iterable[EvaluatedResult]) -> list[ChecklistItem]:
    """One blocking item per result whose recorded verdict is not what it gives now."""
    return [_disagreement(r) for r in results
            if r.stored_verdict is not None and r.stored_verdict != r.verdict]


def _disagreement(result: EvaluatedResult) -> ChecklistItem:
    shown = result.result if isinstance(result.result, str) else format_number(result.result)
    params = {"test": result.code, "name": result.name, "result": shown, "limit": result.limit,
              "stored": str(result.stored_verdict), "verdict": str(result.verdict)}
    message = (f"{result.name} was recorded as {result.stored_verdict}, but {shown} "
               f"(limit {result.limit}) is {result.verdict}: the record changed after entry")
    return ChecklistItem("qc.verdict_disagrees", False, message, params, True,
                         ItemKind.REQUIREMENT)
