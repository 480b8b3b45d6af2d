"""The contract's rules that a single field cannot express: balance, identity, readiness.

Each rule is a function ``Spec -> list[Finding]``; :func:`check` runs them all. Findings
here carry a field path only; :func:`check_loaded` adds file, line and column.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from expectmatrix.library.clauses import resolve
from expectmatrix.library.contents import Library
from expectmatrix.library.frame import resolve_frame
from expectmatrix.spec.clock import today
from expectmatrix.spec.completeness import check_parties, check_translated
from expectmatrix.spec.findings import Finding, errors, in_file_order, make_strict
from expectmatrix.spec.loading import Loaded
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import EFFECTIVE, FrameChoice, Spec
from expectmatrix.spec.salvage import caused, salvage
from expectmatrix.spec.shape import expectations_of, format_path, located, path_of, sides
from expectmatrix.spec.terms import Side

if TYPE_CHECKING:
    from expectmatrix.library.models import FrameClause


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fix(vendor: int, customer: int, unit: str = "expectation") -> str:
    diff = abs(vendor - customer)
    short, long_ = ("customer", "vendor") if vendor > customer else ("vendor", "customer")
    return (f"add {_plural(diff, short + ' ' + unit)} or remove "
            f"{_plural(diff, long_ + ' ' + unit)}")


def check_balance(spec: Spec) -> list[Finding]:
    vendor, customer = expectations_of(spec, "vendor"), expectations_of(spec, "customer")
    if spec.balance == "count":
        if len(vendor) != len(customer):
            return [Finding("unbalanced", f"unbalanced: {len(vendor)} of vendor, {len(customer)} "
                            f"of customer ({_fix(len(vendor), len(customer))})",
                            path=("expectations",))]
        return []
    if spec.balance == "weight":
        wv, wc = sum(e.weight for e in vendor), sum(e.weight for e in customer)
        if wv != wc:
            diff = abs(wv - wc)
            light = "customer" if wv > wc else "vendor"
            return [Finding("unbalanced", f"unbalanced by weight: vendor {wv}, customer {wc} "
                            f"(add {diff} weight to the {light} side or take it from the other)",
                            path=("expectations",))]
        return []
    # balance: area: every area holds as many lines on both sides.
    found = []
    v_areas, c_areas = Counter(e.area for e in vendor), Counter(e.area for e in customer)
    for area in dict.fromkeys([e.area for e in vendor] + [e.area for e in customer]):
        if area is None:  # a clause that could not be used: reported where it is named
            continue
        nv, nc = v_areas[area], c_areas[area]
        if nv != nc:
            side: Side = "vendor" if nv else "customer"
            idx = [e.area for e in (vendor if nv else customer)].index(area)
            found.append(Finding(
                "unbalanced", f"unbalanced in area {area!r}: {nv} of vendor, {nc} of customer "
                f"({_fix(nv, nc)} in this area)", path=path_of(side, idx, "area")))
    return found


def check_identity(spec: Spec) -> list[Finding]:
    found = []
    first: dict[str, str] = {}
    for _side, at, e in located(spec):
        where = format_path(at)
        if e.id in first:
            found.append(Finding("duplicate-id", f"the id {e.id!r} is already used by "
                                 f"{first[e.id]}; ids must be unique across both lists",
                                 path=(*at, "id")))
        else:
            first[e.id] = where
    seen_approvals: dict[tuple[str, str, str], int] = {}
    for i, a in enumerate(spec.approvals):
        key = (" ".join(a.name.casefold().split()), a.side, " ".join(a.role.casefold().split()))
        if key in seen_approvals:
            found.append(Finding("duplicate-approval", f"{a.name} ({a.side}, {a.role}) approved "
                                 f"already in approvals[{seen_approvals[key]}]; an approval "
                                 "counts once: remove the repeat", "warning", ("approvals", i)))
        else:
            seen_approvals[key] = i
        if a.date > today():
            found.append(Finding("approval-date", f"the approval of {a.name} is dated {a.date}, "
                                 "after today: an approval cannot come before it was given; "
                                 "correct the date", "warning", ("approvals", i, "date")))
    if spec.deal.segment is None and "deal.segment" not in spec.withheld:
        found.append(Finding("missing", "the segment is empty; write small, medium or large",
                             path=("deal", "segment")))
    # A counterparty copy leaves its approvals out; the full spec it came from had them.
    if spec.deal.status == "approved" and not spec.approvals and "approvals" not in spec.withheld:
        found.append(Finding("approval-missing", "status is approved but no approvals are "
                             "listed; add an approvals: list (name, side, role, date) or set "
                             "status to review", path=("deal", "status")))
    return found


def check_readiness(spec: Spec) -> list[Finding]:
    found = []
    small = spec.deal.segment == "small"
    if small:
        for i, item in enumerate(spec.readiness):
            if item.answer != "yes":
                found.append(Finding(
                    "readiness", f"readiness answer is {item.answer!r} on a small deal: "
                    "settle it with the customer before signing", "warning",
                    ("readiness", i, "answer")))
        for i, e in enumerate(expectations_of(spec, "customer")):
            if e.owner is None:
                found.append(Finding(
                    "no-owner", f"customer expectation {e.id} has no owner; on a small deal "
                    "name the customer role that will do it", "warning",
                    path_of("customer", i)))
    for _side, at, e in located(spec):
        if e.measure is None:
            found.append(Finding(
                "no-measure", f"expectation {e.id} has no measure; say how both sides will "
                "know it was done", "warning", at))
    return found


# Phrases that promise nothing measurable unless a measure says what they mean.
VAGUE = ("best effort", "best efforts", "reasonable", "reasonably", "as soon as possible",
         "asap", "timely", "in a timely manner", "as needed", "as required", "promptly",
         "where possible", "if possible", "appropriate", "adequate", "sufficient",
         "commercially reasonable", "from time to time", "regularly", "quickly")
# Longest first, so that "commercially reasonable" is one phrase, not "reasonable".
_VAGUE = re.compile(r"\b(" + "|".join(re.escape(v) for v in sorted(VAGUE, key=len, reverse=True))
                    + r")\b", re.IGNORECASE)


# Due dates that name no time: the promise cannot be missed, so it cannot be kept either.
VAGUE_DUE = ("promptly", "as soon as possible", "asap", "timely", "in a timely manner", "soon",
             "when possible", "where possible", "if possible", "as needed", "as required",
             "from time to time", "regularly", "periodically", "ongoing", "tbd", "tba",
             "to be agreed", "to be defined", "later", "eventually", "quickly")
_VAGUE_DUE = re.compile(r"\b(" + "|".join(re.escape(v) for v in VAGUE_DUE) + r")\b",
                        re.IGNORECASE)
_HAS_TIME = re.compile(r"\d|\b(daily|weekly|monthly|quarterly|yearly|annually|before|after|"
                       r"by|until|within|each|every)\b", re.IGNORECASE)


def check_wording(spec: Spec) -> list[Finding]:
    """Lint: vague promises and due dates, the same text twice, one-sided areas."""
    found = []
    seen: dict[str, str] = {}
    for _side, at, e in located(spec):
        text = e.text or ""
        # Every vague phrase, each once: the first alone would hide the rest until the
        # next run. A measure says how fulfilment is checked; it does not make them exact.
        for phrase in dict.fromkeys(m.group(0) for m in _VAGUE.finditer(text)):
            found.append(Finding("vague", f"{e.id} promises {phrase!r}, which legal reads "
                                 "as no promise at all; say what it means in numbers or dates "
                                 "(\"within 2 business days\", \"by 2027-03-01\")", "warning",
                                 (*at, "text")))
        due = e.due or ""
        vague_due = _VAGUE_DUE.search(due)
        if vague_due and not _HAS_TIME.search(due.replace(vague_due.group(0), "")):
            found.append(Finding("vague-due", f"{e.id} is due {due!r}, which names no time; write "
                                 "a date (2027-03-01), a period (within 5 business days of "
                                 "signature) or a cadence (weekly until go-live)", "warning",
                                 (*at, "due")))
        key = " ".join(text.lower().split())
        if key in seen:
            found.append(Finding("duplicate-text", f"{e.id} repeats the text of {seen[key]}",
                                 "warning", (*at, "text")))
        else:
            seen[key] = e.id
    vendor_areas = {e.area for e in expectations_of(spec, "vendor")}
    customer_areas = {e.area for e in expectations_of(spec, "customer")}
    for side, at, e in located(spec):
        other = customer_areas if side == "vendor" else vendor_areas
        if e.area not in other and spec.balance != "area":  # area balance reports it already
            found.append(Finding("one-sided-area", f"area {e.area!r} appears only on the "
                                 f"{side} side",
                                 "warning", (*at, "area")))
            other.add(e.area)  # once per area
    return found


RULES: list[Callable[[Spec], list[Finding]]] = [check_balance, check_identity, check_readiness,
                                                 check_wording]


_ORDER = {"error": 0, "warning": 1, "info": 2}


def check(spec: Spec) -> list[Finding]:
    """Every rule's findings, errors first. ``spec`` has its clauses resolved."""
    found = [f for rule in RULES for f in rule(spec)]
    return sorted(found, key=lambda f: _ORDER[f.severity])


LibrarySource = Library | Callable[[], Library] | None


@dataclass(frozen=True)
class ApprovalRules:
    """An organisation's rule for approved specs (expectmatrix.toml [approvals]): an
    approval from each of these sides, and from each of these roles."""

    sides: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class CheckContext:
    """What the phases after loading need to know besides the spec."""

    folder: Path  # where the spec's logo and font are
    # where labels for the document's language may be; asked only for a language the
    # built-in labels lack (reading the settings costs more than validating a spec)
    template_dirs: Callable[[], Sequence[Path]] = tuple
    approvals: ApprovalRules = ApprovalRules()
    written: Spec | None = None  # the spec as written, before the library filled it in


def check_language(spec: Spec, context: CheckContext) -> list[Finding]:
    """A language with no labels in the template folders is rendered in English: say so,
    at validate as at render."""
    from expectmatrix.spec.i18n import available, label_file

    language = spec.deal.language
    if label_file(language) is not None:
        return []
    dirs = tuple(map(Path, context.template_dirs()))
    if label_file(language, dirs) is not None:
        return []
    return [Finding("language", f"no labels for language {language!r} (there are: "
                    f"{', '.join(available(dirs))}); the documents use "
                    f"English. Add labels/{language}.yaml to a template folder to translate "
                    "them", "warning", ("deal", "language"))]


def _rules(spec: Spec, context: CheckContext) -> list[Finding]:
    return check(spec)


def _assets(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_branding(spec, context.folder) if spec.branding is not None else []


def _scripts(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_scripts(spec)


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
    import holidays  # only for a spec that names a calendar: it takes a tenth of a second

    known = holidays.list_supported_countries()
    if code in known:
        return []
    return [Finding("calendar", f"no public holidays are known for the country {code!r}; "
                    "write an ISO 3166 country code such as DE, FR or US"
                    f"{did_you_mean(code, sorted(c for c in known if len(c) == 2))}",
                    path=("deal", "calendar"))]


def _parties(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_parties(spec)


def _translated(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_translated(context.written or spec, spec.deal.language)


# The phases after the clauses are resolved, in order. Each returns findings located by
# field path; check_loaded adds file, line and column, and applies --strict once, at the end.
PHASES: tuple[tuple[str, Callable[[Spec, CheckContext], list[Finding]]], ...] = (
    ("rules", _rules), ("assets", _assets), ("scripts", _scripts), ("language", check_language),
    ("approvals", check_approvals), ("dates", check_dates), ("parties", _parties),
    ("translated", _translated))


def check_loaded(loaded: Loaded, strict: bool = False, library: LibrarySource = None,
                 template_dirs: Sequence[Path] | Callable[[], Sequence[Path]] = (),
                 approvals: ApprovalRules = ApprovalRules()) -> Loaded:
    """Run the validation pipeline on a loaded spec: resolve clauses, then every phase.
    ``validate``, ``render``, ``batch`` and ``verify`` all come through here, so they
    report the same findings.

    The returned Loaded holds the resolved spec (texts filled from the library), or None
    when there are errors.
    """
    findings = list(loaded.findings)
    spec, nonstandard, frame = loaded.spec, loaded.nonstandard, loaded.frame
    located: list[Finding] = []
    # A spec the model refused still goes through the checks below, as far as what it
    # refused can be set aside: one run reports every problem, not one round per run.
    set_aside: list[tuple[str | int, ...]] = []
    if spec is None and loaded.tree is not None and errors(findings):
        spec, set_aside = salvage(loaded.tree)
    written = spec
    if spec is not None:
        chosen = library_if_needed(spec, library)
        resolved = resolve(spec, chosen)
        nonstandard = resolved.nonstandard
        located += [f for f in resolved.findings if not caused(f, set_aside, spec.balance)]
        # Clauses that could not be used leave their expectations unfilled: the checks
        # run on the rest, and say nothing the unfilled ones would cause.
        broken = set_aside + [f.path for f in resolved.findings if f.severity == "error"]
        checked = resolved.partial or spec
        frame, found = resolve_frame(checked, frame_clauses(chosen, library),
                                     frame_defaults(chosen, library))
        later = list(found)
        dirs = template_dirs if callable(template_dirs) else (lambda: template_dirs)
        context = CheckContext(loaded.folder or Path.cwd(), dirs, approvals, written)
        for _, phase in PHASES:
            later += phase(checked, context)
        later += [Finding("nonstandard", f"{eid} is non-standard: {why}", "info",
                          _path_of(checked, eid)) for eid, why in nonstandard.items()]
        located += [f for f in later if not caused(f, broken, spec.balance)]
        spec = None if set_aside else resolved.spec
    for f in located:
        line, col = loaded.positions.locate(f.path)
        findings.append(replace(f, file=loaded.file, line=line, column=col))
    if strict:
        findings = make_strict(findings)
    if errors(findings):
        spec = None
    return replace(loaded, spec=spec, findings=in_file_order(findings), nonstandard=nonstandard,
                   frame=frame)


def check_branding(spec: Spec, base_dir: Path) -> list[Finding]:
    """The logo and font a spec names exist and are what they claim to be."""
    from expectmatrix.spec.assets import BUNDLED_FONTS, AssetError, check_image, font_file, resolve

    found = []
    branding = spec.branding
    assert branding is not None
    if branding.logo is not None:
        try:
            image = check_image(resolve(branding.logo, base_dir))
            if image.kind == "svg":
                found.append(Finding("svg-logo", "an SVG logo appears in the PDF only (Word "
                                     "files need PNG or JPEG)", "warning", ("branding", "logo")))
        except AssetError as e:
            found.append(Finding("logo", str(e), path=("branding", "logo")))
    if branding.font is not None and branding.font not in BUNDLED_FONTS:
        try:
            font_file(branding.font, base_dir)
        except AssetError as e:
            found.append(Finding("font", str(e), path=("branding", "font")))
    return found


# Hangul Jamo, CJK radicals to unified ideographs (with kana), Hangul syllables, CJK
# compatibility ideographs, half- and full-width forms. Tested per distinct character: a
# regex over these ranges costs more to compile than validating a spec.
_CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
               (0xFF00, 0xFFEF))


def has_cjk(text: str) -> bool:
    """Whether the text holds characters only a Chinese, Japanese or Korean font has."""
    return any(lo <= ord(c) <= hi for c in set(text) for lo, hi in _CJK_RANGES)


def check_scripts(spec: Spec) -> list[Finding]:
    """Chinese, Japanese or Korean text needs a font of the machine's: say so when there
    is none, rather than let the characters turn into boxes."""
    from expectmatrix.spec.canonical import canonical_json

    if not has_cjk(canonical_json(spec).decode("utf-8")):
        return []
    from expectmatrix.spec.assets import cjk_font_available  # only now: it asks fontconfig

    if cjk_font_available():
        return []
    return [Finding("cjk-font", "the spec has Chinese, Japanese or Korean text but this "
                    "machine has no font for it, so the PDF would show empty boxes; install "
                    "one (on Debian or Ubuntu: apt-get install fonts-noto-cjk)", "warning")]


def _path_of(spec: Spec, expectation_id: str) -> tuple[str | int, ...]:
    for _side, at, e in located(spec):
        if e.id == expectation_id:
            return at
    return ("expectations",)


def frame_clauses(chosen: Library, library: LibrarySource) -> dict[str, FrameClause]:
    """The frame clauses of the library in use: a company's library may word the frame
    its own way; without one, the built-in frame is read alone (it is small)."""
    if chosen.frame:
        return chosen.frame
    if callable(library) and not getattr(library, "builtin_only", False):
        loaded = library()
        if loaded.frame:
            return loaded.frame
    from expectmatrix.library.files import builtin_frame

    return builtin_frame()


def frame_defaults(chosen: Library, library: LibrarySource) -> dict[str, FrameChoice]:
    """The organisation's frame choices (expectmatrix.toml [frame.PART]): carried by the
    library its settings describe, or told by the loader that has not read it yet."""
    if chosen.frame_defaults:
        return dict(chosen.frame_defaults)
    told = getattr(library, "frame_defaults", None)
    if told is None and callable(library):  # a loader that cannot tell: ask its library
        told = library().frame_defaults
    return dict(told or {})


def library_if_needed(spec: Spec, library: LibrarySource) -> Library:
    """Reading the library costs more than validating a spec: only specs that name a
    clause need it (one without clauses is non-standard line by line, library or not)."""
    if isinstance(library, Library):
        return library
    if not any(e.clause for _, _, e in located(spec)):
        return Library()
    if library is not None:
        return library()
    from expectmatrix.library.files import builtin

    return builtin()

