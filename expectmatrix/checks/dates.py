"""What the tracker needs after signing: dates it can compute."""

from __future__ import annotations

from expectmatrix.checks.calendars import KNOWN_CALENDARS
from expectmatrix.checks.context import CheckContext
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import EFFECTIVE, Spec
from expectmatrix.spec.shape import expectations_of, located, path_of, sides


def check_dates(spec: Spec, context: CheckContext) -> list[Finding]:
    """What the tracker needs after signing: every milestone a due_by names is given by
    the deal, the holiday calendar is a country it knows, and an approved deal says when
    each expectation is due."""
    found = []
    given = {EFFECTIVE, *(spec.deal.milestones or {})}
    if spec.deal.milestones and EFFECTIVE in spec.deal.milestones:
        found.append(Finding("milestone", f"{EFFECTIVE!r} is deal.effective already; give "
                             "this milestone another name", path=("deal", "milestones",
                                                                   EFFECTIVE)))
    undated = []
    for side in sides():
        for i, e in enumerate(expectations_of(spec, side)):
            where = path_of(side, i)
            if e.due_by is None:
                undated.append((e.id, where))
                continue
            for key, name in e.due_by.milestones():
                if name not in given:
                    listed = ", ".join(sorted(given))
                    found.append(Finding("milestone", f"{e.id} counts from the milestone "
                                         f"{name!r}, which deal.milestones does not give "
                                         f"(it gives: {listed}){did_you_mean(name, sorted(given))}",
                                         path=(*where, "due_by", key)))
    if spec.deal.calendar is not None:
        found += _check_calendar(spec.deal.calendar)
    if spec.deal.status == "approved" and undated:
        if len(undated) == len(located(spec)) and not spec.deal.milestones:
            found.append(Finding("undated", "this approved deal gives the tracker no dates: add "
                                 "deal.milestones and a due_by to each expectation to track "
                                 "it after signing", "warning", ("deal", "status")))
        else:
            found += [Finding("undated", f"the tracker cannot date {eid}: give it a due_by "
                              "(e.g. {after: signature, business_days: 10})", "warning", where)
                      for eid, where in undated]
    return found


def _check_calendar(code: str) -> list[Finding]:
    if code in KNOWN_CALENDARS:
        return []
    import holidays  # only for a code not known when released: it takes a tenth of a second

    known = holidays.list_supported_countries()
    if code in known:
        return []
    return [Finding("calendar", f"no public holidays are known for the country {code!r}; "
                    "write an ISO 3166 country code such as DE, FR or US"
                    f"{did_you_mean(code, sorted(c for c in known if len(c) == 2))}",
                    path=("deal", "calendar"))]
