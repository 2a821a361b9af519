"""The planner's error type, shared by the planner and its request limits."""

from __future__ import annotations


class PlanningError(ValueError):
    """Planning failed; ``problems`` lists every reason (unknown ids, unsafe missions)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("planning failed:\n" + "\n".join(f"  {p}" for p in problems))
