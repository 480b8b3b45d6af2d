"""The deal spec, version 1: pydantic models of the contract and nothing else.

These models are the single source of truth: validation, the JSON Schema served by
``expectmatrix schema`` and the field reference in docs/reference/spec.md all come from them.
"""

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from expectmatrix.spec.terms import (
    WITHHELD_FIELDS,
    Answer,
    Balance,
    Cadence,
    Paper,
    Segment,
    Side,
    Status,
    WithheldField,
)

FORMAT = "expectmatrix/1"

# C0 controls other than tab/LF/CR, U+FFFE/U+FFFF and lone surrogates cannot be stored in
# XML (python-docx refuses them) and have no business in an agreement anyway.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)


def _plain_text(value: str) -> str:
    bad = _BAD_CHARS.search(value)
    if bad:
        raise ValueError(
            f"contains the control character U+{ord(bad.group()):04X} at position "
            f"{bad.start() + 1}; remove it (it is usually pasted in by accident)"
        )
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _iso_date(value: Any) -> Any:
    # Only YYYY-MM-DD: pydantic would otherwise take numbers as Unix timestamps.
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a date: {value.strip()} (no such day in the calendar; "
                             "write YYYY-MM-DD)") from None
    raise ValueError(f"not a date: {value!r}; write it as YYYY-MM-DD, e.g. 2026-12-01")


# The dates the tracker counts from and to: wide enough for any agreement, narrow enough
# that adding a few years of days or holidays can never leave the calendar.
FIRST_DAY, LAST_DAY = _dt.date(1900, 1, 1), _dt.date(2199, 12, 31)


def _tracking_range(value: _dt.date) -> _dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"{value.isoformat()} is out of range; a date the tracker counts with "
                         f"lies between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value


def _safe_file_id(value: str) -> str:
    if value.startswith("."):
        raise ValueError("must not start with a dot (it names the output files)")
    if _WINDOWS_RESERVED.match(value):
        raise ValueError(f"{value!r} is a reserved file name on Windows; choose another id")
    return value


Text = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_plain_text)]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_plain_text)]
IsoDate = Annotated[_dt.date, BeforeValidator(_iso_date)]
Color = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")]
DealId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$"),
    AfterValidator(_safe_file_id),
]
ExpectationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
TrackDate = Annotated[_dt.date, BeforeValidator(_iso_date), AfterValidator(_tracking_range)]
MilestoneName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
# The milestone every deal gives: deal.effective.
EFFECTIVE = "effective"


class Model(BaseModel):
    # extra='forbid': a misspelt key is almost always a typo that would silently vanish.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)


class Money(Model):
    amount: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)] = Field(
        description="The amount, up to two decimals."
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        description="ISO 4217 code such as USD or EUR."
    )


class Agreement(Model):
    title: ShortText = Field(description="Title of the main agreement, e.g. Master Subscription Agreement.")
    reference: ShortText | None = Field(None, description="Its reference, printed in the preamble.")
    date: IsoDate | None = Field(None, description="Its date, YYYY-MM-DD.")


class Deal(Model):
    id: DealId = Field(
        title="Deal id", description="1-64 characters of A-Z a-z 0-9 . _ -; names the output files.")
    title: ShortText = Field(description="Title of the agreement.")
    # Required, but null in a counterparty copy that withholds it (see Spec.withheld).
    segment: Segment | None = Field(
        description="Customer segment (null only in a copy that withholds it).")
    effective: IsoDate = Field(title="Effective date",
                               description="Effective date, YYYY-MM-DD.")
    version: Annotated[int, Field(gt=0, le=100000)] = Field(1, description="Version number.")
    status: Status = Field("draft", description="Review status.")
    value: Money | None = Field(None, title="Annual value",
                                description="Annual contract value.")
    notes: Text | None = Field(None, description="Notes for the vendor's own people "
                               "(internal edition only).")
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = (
        Field("en", description="Document language (BCP 47 tag such as en or de).")
    )
    agreement: Agreement | None = Field(
        None, description="The main agreement this matrix forms part of.")
    term: ShortText | None = Field(None, description="How long the matrix applies, free text.")
    margin: Money | None = Field(
        None, description="Annual contribution margin (internal edition only).")
    nps: Annotated[int, Field(ge=-100, le=100)] | None = Field(
        None, title="NPS", description="Latest Net Promoter Score, -100..100 (internal edition only).")
    milestones: Annotated[dict[MilestoneName, TrackDate], Field(max_length=50)] | None = Field(
        None, description="Named dates that `due_by` counts from, e.g. signature: 2027-01-15, "
                          "go-live: 2027-04-01 (lower-case names; `effective` is always "
                          "deal.effective).")
    calendar: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166 country code, e.g. DE: its public holidays are not "
                          "business days (default: Monday to Friday are).")


class Branding(Model):
    logo: ShortText | None = Field(None, description="PNG, JPEG or SVG, relative to the spec.")
    primary_color: Color | None = Field(None, description="Headings and table header, #rrggbb.")
    accent_color: Color | None = Field(None, description="Area rows and rules, #rrggbb.")
    font: ShortText | None = Field(
        None, description="Noto Sans (bundled) or a .ttf/.otf file relative to the spec.")
    paper: Paper | None = Field(None, description="Paper size (default A4).")
    margins: Annotated[str, StringConstraints(
        pattern=r"^\d{1,3}(\.\d+)?(mm|cm|in|pt)( \d{1,3}(\.\d+)?(mm|cm|in|pt)){0,3}$")] | None = Field(
        None, description="Page margins as in CSS, e.g. 20mm or 20mm 16mm (default).")


class Approval(Model):
    name: ShortText = Field(description="Who approved.")
    side: Side = Field(description="Which side they approved for.")
    role: ShortText = Field(description="Their role.")
    date: IsoDate = Field(description="Date of approval, YYYY-MM-DD.")


class Contact(Model):
    name: ShortText = Field(description="Contact name.")
    role: ShortText | None = Field(None, description="Role in the deal.")
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        Field(None, description="E-mail address.")
    )
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+() .\-/x]{3,40}$")] | None = Field(
        None, description="Phone number."
    )


class Signatory(Model):
    name: ShortText = Field(description="Who signs.")
    title: ShortText | None = Field(None, description="Their title.")


class Party(Model):
    name: ShortText = Field(description="Legal name of the party.")
    address: Text | None = Field(None, description="Postal address; line breaks are kept.")
    registration: ShortText | None = Field(
        None, description="Company number and register, e.g. HRB 123456, Amtsgericht Hamburg.")
    contacts: Annotated[list[Contact], Field(max_length=50)] = Field(
        default_factory=list, description="People to contact."
    )
    signatory: Signatory | None = Field(None, description="Who signs for this party.")


class Parties(Model):
    vendor: Party = Field(description="The vendor (seller).")
    customer: Party = Field(description="The customer (buyer).")


Count = Annotated[int, Field(ge=0, le=3660)]


class DueBy(Model):
    """The date an expectation is due, as the tracker computes it. One form: ``date``;
    ``after`` or ``before`` a milestone by at most one amount; or ``from`` a milestone
    (with ``every`` for a cadence, and ``until`` for an end)."""

    # Serialized as `from`, the contract's name (a Python keyword, hence the alias).
    model_config = ConfigDict(serialize_by_alias=True)

    date: TrackDate | None = Field(None, description="A fixed date, YYYY-MM-DD.")
    after: MilestoneName | None = Field(None, description="Due this long after the milestone.")
    before: MilestoneName | None = Field(
        None, description="Due this long before the milestone.")
    business_days: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        None, description="Business days (Monday to Friday, less deal.calendar's holidays).")
    days: Count | None = Field(None, description="Calendar days.")
    weeks: Annotated[int, Field(ge=0, le=520)] | None = Field(None, description="Weeks.")
    months: Annotated[int, Field(ge=0, le=120)] | None = Field(
        None, description="Calendar months (the 31st becomes the month's last day).")
    every: Cadence | None = Field(
        None, description="A recurring expectation: due every week, month, quarter or year "
                          "from `from`.")
    interval: Annotated[int, Field(ge=1, le=52)] | None = Field(
        None, description="With `every`: every this many weeks (months, ...), default 1.")
    from_: MilestoneName | None = Field(
        None, alias="from", description="A continuing (or, with `every`, recurring) "
                                        "expectation starts at this milestone.")
    until: MilestoneName | None = Field(
        None, description="With `from`: the milestone at which it ends.")

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        forms = [name for name in ("date", "after", "before", "from_")
                 if getattr(self, name) is not None]
        if len(forms) != 1:
            raise ValueError("give exactly one of date:, after:, before: or from: (e.g. "
                             "{after: signature, business_days: 10})")
        form = forms[0]
        amounts = [n for n in AMOUNTS if getattr(self, n) is not None]
        if amounts and form not in ("after", "before"):
            raise ValueError(f"{amounts[0]}: goes with after: or before: only")
        if len(amounts) > 1:
            raise ValueError(f"give one amount, not {' and '.join(amounts)} (e.g. weeks: 3 "
                             "or days: 21)")
        if form != "from_":
            for name in ("every", "until"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name}: goes with from: (e.g. {{every: week, from: "
                                     "signature, until: go-live})")
        if self.interval is not None and self.every is None:
            raise ValueError("interval: goes with every: (every 2 weeks: {every: week, "
                             "interval: 2, from: ...})")
        if self.until is not None and self.until == self.from_:
            raise ValueError("from: and until: name the same milestone")
        return self

    def milestones(self) -> list[tuple[str, str]]:
        """(key, milestone name) for each milestone this names."""
        return [(key, name) for key, name in (("after", self.after), ("before", self.before),
                                              ("from", self.from_), ("until", self.until))
                if name is not None]


AMOUNTS = ("business_days", "days", "weeks", "months")


ParamValue = Annotated[str, StringConstraints(max_length=200)] | int | Decimal
ClauseRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class Expectation(Model):
    id: ExpectationId = Field(description="Unique across both lists, e.g. V1 or C3.")
    area: ShortText | None = Field(
        None, description="Groups rows of the matrix. Required unless `clause` is given.")
    text: Text | None = Field(
        None, description="What is promised. Required unless `clause` is given.")
    measure: Text | None = Field(None, description="How fulfilment is measured.")
    due: ShortText | None = Field(None, description="When: a date or a cadence.")
    due_by: DueBy | None = Field(
        None, description="The date the tracker uses (`due` is printed as written), e.g. "
                          "{after: signature, business_days: 15}.")
    owner: ShortText | None = Field(None, description="Role on the promising side.")
    clause: ClauseRef | None = Field(None, description="Id of a clause from the clause library.")
    params: Annotated[dict[str, ParamValue], Field(max_length=20)] | None = Field(
        None, description="Values for the clause's parameters."
    )
    weight: Annotated[int, Field(ge=1, le=5)] = Field(
        1, description="1-5; used by `balance: weight`."
    )


ExpectationList = Annotated[list[Expectation], Field(min_length=1, max_length=500)]


Item = TypeVar("Item")


class SideLists(Model, Generic[Item]):
    """One list for each side, named as a spec names its expectations' lists; other
    files that follow the spec's shape (a playbook's clauses) use it too."""

    of_vendor: list[Item] = Field(description="For what the customer can expect of the vendor.")
    of_customer: list[Item] = Field(description="For what the vendor can expect of the customer.")


class Expectations(Model):
    of_vendor: ExpectationList = Field(description="What the customer can expect of the vendor.")
    of_customer: ExpectationList = Field(
        description="What the vendor can expect of the customer."
    )


class FrameChoice(Model):
    clause: ClauseRef | None = Field(None, description="Id of a frame clause of the library.")
    params: Annotated[dict[str, ParamValue], Field(max_length=20)] | None = Field(
        None, description="Values for the frame clause's parameters.")
    text: Text | None = Field(
        None, description="Wording of its own instead of a library clause (non-standard).")


class Frame(Model):
    preamble: FrameChoice | None = Field(None, description="What the document is, and who.")
    precedence: FrameChoice | None = Field(
        None, description="How the matrix relates to the main agreement.")
    binding: FrameChoice | None = Field(
        None, description="Whether and how the expectations bind the parties, and what a "
        "missed one leads to (clauses binding-obligations, binding-agreement, "
        "binding-intent).")
    term: FrameChoice | None = Field(None, description="How long the matrix applies.")
    ending: FrameChoice | None = Field(
        None, description="How the matrix ends (ending-notice takes notice_days).")
    law: FrameChoice | None = Field(
        None, description="Governing law and jurisdiction: params: {law: England and Wales, "
        "courts: London} words it by name; default: the main agreement's, else the law of "
        "the vendor's registered office.")
    readiness: FrameChoice | None = Field(
        None, description="What a readiness answer of no or unknown means for both sides "
        "(printed when one is open).")
    missed: FrameChoice | None = Field(
        None, description="How a missed expectation is raised and answered.")
    escalation: FrameChoice | None = Field(None, description="Where an unresolved issue goes.")


@dataclass(frozen=True)
class FrameText:
    """One part of the frame as checking decided it (library/frame.py)."""

    part: str
    clause: str | None  # None: the spec's own wording, which makes it non-standard
    # the wording with its {placeholders}: the view fills them all in one pass, so that
    # no value is read as a placeholder
    text: str
    values: tuple[tuple[str, str], ...] = ()  # the parameters' values, as written
    # parameters that count something (name, number, unit such as business_days), which
    # the view words in the document's language ("2 business days", "يومي عمل")
    counts: tuple[tuple[str, int, str], ...] = ()


class ReadinessItem(Model):
    question: Text = Field(description="A question about the customer's ability to deliver.")
    answer: Answer = Field(description="yes, no or unknown.")
    note: Text | None = Field(None, description="Context or next step.")


class Spec(Model):
    """A deal spec, version 1."""

    model_config = ConfigDict(title="expectmatrix deal spec (format expectmatrix/1)")

    format: Literal["expectmatrix/1"] | None = Field(None, description="Spec format version.")
    deal: Deal = Field(description="The deal.")
    branding: Branding | None = Field(None, description="Look of the documents.")
    approvals: Annotated[list[Approval], Field(max_length=50)] = Field(
        default_factory=list, description="Required when deal.status is approved."
    )
    parties: Parties = Field(description="Vendor and customer.")
    expectations: Expectations = Field(description="Both sides' expectations.")
    balance: Balance = Field(
        "count", description="How both sides are balanced."
    )
    readiness: Annotated[list[ReadinessItem], Field(max_length=100)] = Field(
        default_factory=list, description="Probing questions about the customer's readiness."
    )
    frame: Frame | None = Field(
        None, description="Choices of the agreement frame's clauses (default: the library's).")
    withheld: Annotated[list[WithheldField], Field(max_length=len(WITHHELD_FIELDS))] = Field(
        default_factory=list,
        description="What this copy leaves out: set by expectmatrix in the spec a counterparty "
                    "edition carries; a spec written by hand leaves it out.")


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
