"""The clause library's files as models: clauses, their translations and the segment
playbooks (frame clauses: library/frame_models.py). Reading the files is library/files.py's."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from expectmatrix.library.frame_models import ClauseId, FrameClause, LanguageTag, Param
from expectmatrix.spec.models import Model, ShortText, SideLists, Text
from expectmatrix.spec.terms import Balance, Segment, Side

_ALL_SEGMENTS: tuple[Segment, ...] = ("small", "medium", "large")


# A clause's due_by with {name} placeholders in its values, filled from the params:
# {after: signature, business_days: "{days}"}, {every: "{cadence}", from: signature}.
DueByTemplate = dict[Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,20}$")],
                     int | Annotated[str, StringConstraints(max_length=64)]]


class Clause(Model):
    id: ClauseId = Field(description="Lower-case id, e.g. sandbox-delivery.")
    side: Side = Field(description="Whose promise it is.")
    area: ShortText = Field(description="Area of the matrix.")
    text: Text = Field(description="Wording; {name} is replaced by the parameter's value.")
    measure: Text | None = None
    due: ShortText | None = None
    due_by: Annotated[DueByTemplate, Field(max_length=8)] | None = Field(
        None, description="The date the tracker uses, where `due` has one; {name} is "
                          "replaced by the parameter's value.")
    owner: ShortText | None = None
    segments: list[Segment] = Field(default_factory=lambda: list(_ALL_SEGMENTS))
    params: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*$")], Param] = Field(
        default_factory=dict)


class ClauseText(Model):
    """A clause in another language; what is left out stays in the clause's own words."""

    area: ShortText | None = None
    text: Text | None = None
    measure: Text | None = None
    due: ShortText | None = None
    owner: ShortText | None = None
    # A text parameter's values in this language ({cadence: {weekly: wöchentlich}}): a
    # value the spec gives that is listed here is printed in its translation.
    values: Annotated[dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*$")],
                           dict[Annotated[str, StringConstraints(max_length=200)], ShortText]],
                      Field(max_length=20)] | None = Field(
        None, description="A text parameter's usual values in this language, by parameter: "
                          "{cadence: {weekly: wöchentlich}}; other values are printed as given.")


class ClauseFile(Model):
    """A library file: clauses, frame clauses and translations, each optional."""

    clauses: Annotated[list[Clause], Field(max_length=5000)] = Field(default_factory=list)
    frame: Annotated[list[FrameClause], Field(max_length=500)] = Field(default_factory=list)
    # language tag -> clause id -> its wording in that language
    translations: Annotated[dict[LanguageTag, dict[ClauseId, ClauseText]],
                            Field(max_length=200)] = Field(default_factory=dict)


class PlaybookClause(Model):
    clause: ClauseId
    params: dict[str, int | Decimal | Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=dict)


class PlaybookQuestion(Model):
    question: Text
    note: Text | None = None
    # the question in other languages, so a draft in that language asks it in its words
    translations: dict[LanguageTag, Text] = Field(default_factory=dict)


class PlaybookExpectations(SideLists[ClauseId | PlaybookClause]):
    """A playbook's clauses for each side, in the lists a spec has."""


class Playbook(Model):
    playbook: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    segment: Segment
    description: Text
    balance: Balance = "count"
    expectations: PlaybookExpectations
    readiness: list[PlaybookQuestion] = Field(default_factory=list)
