"""An approved spec carries the approvals the organisation asks for."""

from __future__ import annotations

from expectmatrix.checks.context import CheckContext
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import Spec


def check_approvals(spec: Spec, context: CheckContext) -> list[Finding]:
    """An approved spec carries the approvals the organisation asks for."""
    rules = context.approvals
    if (spec.deal.status != "approved" or not (rules.sides or rules.roles)
            or "approvals" in spec.withheld):
        return []
    found = []
    given_sides = {a.side for a in spec.approvals}
    for side in rules.sides:
        if side not in given_sides:
            found.append(Finding("approval-side", f"an approved spec needs an approval from "
                                 f"the {side} side (your organisation's rule); add one to "
                                 "approvals: or set deal.status to review", path=("approvals",)))
    given_roles = {" ".join(a.role.casefold().split()) for a in spec.approvals}
    for role in rules.roles:
        if " ".join(role.casefold().split()) not in given_roles:
            hint = did_you_mean(role, sorted({a.role for a in spec.approvals}))
            found.append(Finding("approval-role", f"an approved spec needs an approval by the "
                                 f"role {role!r} (your organisation's rule){hint}",
                                 path=("approvals",)))
    return found
