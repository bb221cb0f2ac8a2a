"""What verification found wrong, named so a reader can go and look."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One thing verification found wrong: the chain, a checkpoint, a record, a signature
    or a stored file, the record or place concerned, and the problem."""

    kind: str  # chain, checkpoint, record, signature, file
    subject: str
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"
