"""A frame clause and its parameters as models, apart from the rest of the library's
(library/models.py): every spec has a frame, most name no clause, and checking one then
builds these two alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from expectmatrix.spec.models import Model, Text
from expectmatrix.spec.terms import FrameNeed, FramePart

ClauseId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


# What an integer parameter of a frame clause may count; the labels of each language word
# the number with it by CLDR plural category ("2 business days", "يومي عمل").
Unit = Literal["days", "business_days"]


class Param(Model):
    type: Literal["integer", "number", "text"] = Field("text", description="Value type.")
    default: int | Decimal | Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Used when the spec gives no value.")
    unit: Unit | None = Field(
        None, description="What an integer counts: its value is printed with the unit, in "
        "the plural form the document's language needs.")


LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class FrameClause(Model):
    id: ClauseId = Field(description="Lower-case id, e.g. missed-expectation.")
    part: FramePart = Field(description="Which part of the frame it words.")
    needs: FrameNeed | None = Field(
        None, description="Used only when the spec gives it: deal.agreement, deal.term, the "
        "parties' details (address or registration of both), both signatories, or a "
        "readiness answer of no or unknown.")
    text: Annotated[dict[LanguageTag, Text], Field(min_length=1, max_length=200)] = Field(
        description="Wording per language tag; en is the one every other falls back to.")
    params: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*$")], Param] = Field(
        default_factory=dict)
