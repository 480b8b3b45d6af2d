"""The settings file's schema: every table and key expectmatrix.toml may hold, checked
strictly. Imported only when there is a file to read (most runs of validate have none,
and building these models costs more than checking a spec)."""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict, Field

from expectmatrix.spec.models import Branding, ClauseRef, ParamValue
from expectmatrix.spec.terms import DateFormat, FramePart, InternalField, NumberFormat, Side


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built only for a file


class LibrarySettings(_Strict):
    clauses: list[str] = Field(default_factory=list)
    playbooks: list[str] = Field(default_factory=list)
    replace: bool = False


class TemplateSettings(_Strict):
    dirs: list[str] = Field(default_factory=list)


class DocxSettings(_Strict):
    base: str | None = None  # a letterhead .docx


class CsvSettings(_Strict):
    columns: dict[str, str] = Field(default_factory=dict)  # CRM column -> spec path
    date_format: DateFormat = "iso"
    number_format: NumberFormat = "plain"
    # customer fields a base spec may give rows of other customers (csvrows.CUSTOMER_FIELDS)
    shared: list[str] = Field(default_factory=list)


class AudienceSettings(_Strict):
    internal: list[InternalField] = Field(
        default_factory=lambda: list(get_args(InternalField)))


class ApprovalSettings(_Strict):
    sides: list[Side] = Field(default_factory=list)  # approved specs need one from each
    roles: list[str] = Field(default_factory=list)  # ... and one by each of these roles


class FrameDefault(_Strict):
    """An organisation's choice for one part of the agreement frame: a clause of the
    library and values for its parameters (its own wording belongs in a library file)."""

    clause: ClauseRef | None = None
    params: dict[str, ParamValue] = Field(default_factory=dict)


class SettingsFile(_Strict):
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)
    audience: AudienceSettings = Field(default_factory=AudienceSettings)
    docx: DocxSettings = Field(default_factory=DocxSettings)
    library: LibrarySettings = Field(default_factory=LibrarySettings)
    templates: TemplateSettings = Field(default_factory=TemplateSettings)
    csv: CsvSettings = Field(default_factory=CsvSettings)
    branding: Branding | None = None  # defaults for every spec; paths relative to the file
    frame: dict[FramePart, FrameDefault] = Field(default_factory=dict)
