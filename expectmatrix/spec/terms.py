"""The contract's closed vocabularies, in one place: the models validate against these
types, and the command line offers their values as choices (without importing the
models, so ``--help`` stays quick)."""

from __future__ import annotations

from typing import Literal, get_args

Segment = Literal["small", "medium", "large"]
Status = Literal["draft", "review", "approved"]
Side = Literal["vendor", "customer"]
Answer = Literal["yes", "no", "unknown"]
Balance = Literal["count", "area", "weight"]
Paper = Literal["A4", "Letter"]
# How often a recurring expectation is due (deal.expectations[].due_by.every).
Cadence = Literal["week", "month", "quarter", "year"]
# What `expectmatrix record` appends to a deal's journal after signing.
TrackEvent = Literal["met", "missed", "waived", "reopened"]
Format = Literal["pdf", "docx", "html"]
PdfVariant = Literal["pdf/a-3b", "pdf/ua-1"]
RedlineFormat = Literal["text", "md", "html", "pdf", "docx"]
DateFormat = Literal["iso", "day-first", "month-first"]
# How a CSV export writes numbers: plain (1234.56, as a spec does) or grouped, each named
# by how it writes one thousand two hundred and thirty-four and 56 hundredths.
NumberFormat = Literal["plain", "1,234.56", "1.234,56", "1 234,56", "1'234.56"]
Audience = Literal["counterparty", "internal"]
# The parts of the agreement frame, in the order a document prints them: what the matrix
# is and how it binds, how long it lasts and how it ends, the law it is under; what an open
# readiness answer means (beside the readiness answers); what happens when one is missed.
FramePart = Literal["preamble", "precedence", "binding", "term", "ending", "law", "readiness",
                    "missed", "escalation"]
# What a frame clause may need from the spec before it can be used (library/frame.py):
# the main agreement, a term, the parties' address or registration, both signatories'
# names, a readiness answer of no or unknown.
FrameNeed = Literal["agreement", "term", "details", "signatories", "open-readiness"]
# What a document may show only to the vendor's own people (an organisation may change the
# list in expectmatrix.toml): the contract's defaults, the balance statement, and the notes
# of a deal's journal after signing (remarks of the vendor's team, not for the customer).
InternalField = Literal["deal.segment", "deal.notes", "deal.margin", "deal.nps",
                        "readiness.note", "nonstandard", "approvals", "balance",
                        "journal.note"]
# The internal fields that are data of the spec (the others are what a document says about
# it): the ones a counterparty copy of the spec leaves out and names in `withheld`.
WithheldField = Literal["deal.segment", "deal.notes", "deal.margin", "deal.nps",
                        "readiness.note", "approvals"]

# The files a spec is written in (read by their suffix, any case).
SPEC_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".json")
# A spec's journal of what happened after signing lies beside it: deal.yaml -> deal.track.yaml.
JOURNAL_SUFFIX = ".track.yaml"


def is_spec_name(name: str) -> bool:
    """Whether a file of a folder is read as a spec: a spec suffix, not hidden, and not a
    journal."""
    lower = name.lower()
    return (lower.endswith(SPEC_SUFFIXES) and not name.startswith(".")
            and not lower.endswith(JOURNAL_SUFFIX))

SEGMENTS: tuple[str, ...] = get_args(Segment)
STATUSES: tuple[str, ...] = get_args(Status)
SIDES: tuple[str, ...] = get_args(Side)
FORMATS: tuple[str, ...] = get_args(Format)
DEFAULT_FORMATS: tuple[str, ...] = ("pdf", "docx")
PDF_VARIANTS: tuple[str, ...] = get_args(PdfVariant)
REDLINE_FORMATS: tuple[str, ...] = get_args(RedlineFormat)
DATE_FORMATS: tuple[str, ...] = get_args(DateFormat)
NUMBER_FORMATS: tuple[str, ...] = get_args(NumberFormat)
AUDIENCES: tuple[str, ...] = get_args(Audience)
FRAME_PARTS: tuple[str, ...] = get_args(FramePart)
TRACK_EVENTS: tuple[str, ...] = get_args(TrackEvent)
# Which frame parts the document prints in its opening section (the others are printed
# beside the readiness answers and under "when an expectation is missed").
OPENING_PARTS: tuple[str, ...] = ("preamble", "precedence", "binding", "term", "ending", "law")
REMEDY_PARTS: tuple[str, ...] = ("missed", "escalation")
INTERNAL_FIELDS: tuple[str, ...] = get_args(InternalField)
WITHHELD_FIELDS: tuple[str, ...] = get_args(WithheldField)
