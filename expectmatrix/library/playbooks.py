"""A first draft from a segment playbook: a commented, valid, balanced spec as YAML text."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from expectmatrix.errors import ExpectmatrixError
from expectmatrix.library.clauses import fill, local_values
from expectmatrix.library.contents import Library
from expectmatrix.library.files import clause_entry
from expectmatrix.library.models import Playbook
from expectmatrix.spec import placeholders
from expectmatrix.spec.shape import ID_PREFIX, SIDE_LIST, list_name, sides

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,'()/&+-]*$")
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def yaml_scalar(value: object) -> str:
    """A value written so that YAML reads it back as the same text."""
    text = str(value)
    if (_PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" ")
            and ": " not in text and " #" not in text):
        return text
    return json.dumps(text, ensure_ascii=False)  # JSON strings are YAML double-quoted scalars


@dataclass(frozen=True)
class Draft:
    segment: str
    vendor: str
    customer: str
    deal_id: str = "DEAL-1"
    title: str | None = None
    effective: dt.date | None = None
    playbook: str | None = None  # defaults to the segment's name
    language: str = "en"  # the document's: the title, clauses and questions are drafted in it
    # who signs for each side: (name, title or None); None leaves it for the rep to fill in
    vendor_signatory: tuple[str, str | None] | None = None
    customer_signatory: tuple[str, str | None] | None = None


def signatory(text: str) -> tuple[str, str | None]:
    """ "Sam Ortiz, VP Customer Success" -> ("Sam Ortiz", "VP Customer Success")."""
    name, _, title = text.partition(",")
    return name.strip(), title.strip() or None


def _party_lines(name: str, signs: tuple[str, str | None] | None, q: Callable[[object], str]
                 ) -> list[str]:
    lines = [f"    name: {q(name)}",
             '    # address: "Street 1\\nPostcode City\\nCountry"   # the registered address',
             "    # registration: Company number and register",
             "    contacts: []          # - {name: ..., role: ..., email: ..., phone: ...}"]
    if signs is None:
        lines.append("    # signatory: {name: ..., title: ...}   # who signs; validate asks "
                     "until it is given")
    else:
        title = f", title: {q(signs[1])}" if signs[1] else ""
        lines.append(f"    signatory: {{name: {q(signs[0])}{title}}}")
    return lines


def pick_playbook(library: Library, playbook: str | None, segment: str | None
                  ) -> tuple[Library, str | None, str | None]:
    """A playbook named by file (added to the library) or by name, and the segment it
    implies when none is given: (library, playbook name, segment)."""
    from pathlib import Path

    if playbook and Path(playbook).is_file():
        from expectmatrix.library.files import add_playbooks

        library, names = add_playbooks(library, [playbook])
        playbook = names[0]
    if not segment and playbook in library.playbooks:
        segment = library.playbooks[playbook].segment
    return library, playbook, segment


def choose_playbook(library: Library, draft: Draft) -> Playbook:
    name = draft.playbook or draft.segment
    book = library.playbooks.get(name)
    if book is None:
        known = ", ".join(sorted(library.playbooks)) or "none"
        raise ExpectmatrixError(f"no playbook named {name!r} (known: {known})")
    return book


_MILESTONE_ORDER = ("signature", "kick-off", "uat", "go-live")


def _milestone_lines(library: Library, book: Playbook) -> list[str]:
    """Commented lines naming the milestones the playbook's clauses count from: once the
    rep gives their dates, the tracker dates every expectation that has a computable due."""
    names: dict[str, None] = {}
    for side in SIDE_LIST.values():
        for raw in getattr(book.expectations, side):
            template = library.clauses[clause_entry(raw).clause].due_by or {}
            for key in ("after", "before", "from", "until"):
                if isinstance(template.get(key), str):
                    names[str(template[key])] = None
    if not names:
        return []
    order = {name: i for i, name in enumerate(_MILESTONE_ORDER)}
    given = ", ".join(f"{name}: YYYY-MM-DD" for name in
                      sorted(names, key=lambda n: order.get(n, len(order))))
    return ["  # Milestones: the dates that due dates count from after signing (expectmatrix",
            "  # status). Give them once they are known, and the country whose public",
            "  # holidays are not business days:",
            f"  # milestones: {{{given}}}",
            "  # calendar: DE"]


def draft_spec(library: Library, draft: Draft) -> str:
    """The YAML text of a spec drafted from the playbook; it validates and is balanced."""
    from expectmatrix.language.labels import labels_for
    from expectmatrix.library.clauses import wording

    book = choose_playbook(library, draft)
    effective = draft.effective or dt.date.today() + dt.timedelta(days=30)
    language = draft.language
    title = draft.title or placeholders.fill(str(labels_for(language)["draft_title"]),
                                             customer=draft.customer)
    texts = wording(library, language)
    q = yaml_scalar
    lines = [
        f"# Expectations matrix drafted from the {book.playbook!r} playbook: {book.description}",
        "# Every expectation below uses a clause from the library; its text is shown in the",
        "# comment above it. Change a clause's params: freely. Writing your own text: makes",
        "# the expectation non-standard, and legal will see it marked.",
        "# Check it with:  expectmatrix validate <this file>",
        "format: expectmatrix/1",
        "deal:",
        f"  id: {q(draft.deal_id)}",
        f"  title: {q(title)}",
        f"  segment: {book.segment}",
        f"  effective: {effective.isoformat()}",
        "  version: 1",
        "  status: draft",
        *([f"  language: {draft.language}"] if language != "en" else []),
        *_milestone_lines(library, book),
        "parties:",
        "  vendor:",
        *_party_lines(draft.vendor, draft.vendor_signatory, q),
        "  customer:",
        *_party_lines(draft.customer, draft.customer_signatory, q),
        f"balance: {book.balance}",
        "expectations:",
    ]
    for side in sides():
        who = ("what the customer can expect of the vendor" if side == "vendor"
               else "what the vendor can expect of the customer")
        lines.append(f"  {list_name(side)}:  # {who}")
        area = None
        for n, raw in enumerate(getattr(book.expectations, list_name(side)), start=1):
            entry = clause_entry(raw)
            clause = library.clauses[entry.clause]
            values = {name: entry.params.get(name, p.default) for name, p in clause.params.items()}
            own = texts.get(clause.id) if texts is not None else None
            shown_area = (own.area if own and own.area else clause.area)
            if shown_area != area:
                area = shown_area
                lines.append(f"    # --- {area}")
            if own and own.text:
                lines.append(f"    # {fill(own.text, local_values(own, values))}")
            else:
                lines.append(f"    # {fill(clause.text, values)}")
                if texts is not None:
                    lines.append(f"    # (no {language} wording in the clause library: the "
                                 "English text is printed; write text: here to word it)")
            lines.append(f"    - id: {ID_PREFIX[side]}{n}")
            lines.append(f"      clause: {clause.id}")
            if values:
                params = ", ".join(f"{k}: {q(v)}" for k, v in values.items())
                lines.append(f"      params: {{{params}}}")
    lines.append("readiness:  # answer yes, no or unknown; on small deals no/unknown is flagged")
    for item in book.readiness:
        asked = item.translations.get(language) or item.translations.get(
            language.split("-")[0])
        if asked is None and texts is not None:
            lines.append(f"  # (no {language} wording of this question in the playbook: "
                         "translate it here)")
        lines.append(f"  - question: {q(asked or item.question)}")
        lines.append("    answer: unknown")
        if item.note:
            lines.append(f"    note: {q(item.note)}")
    return "\n".join(lines) + "\n"
