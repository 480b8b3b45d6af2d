"""What a clause library holds once read: clauses, playbooks, frame clauses and the
translations read so far. Reading it is library/files.py's; using it, library/clauses.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from expectmatrix.library.frame_models import FrameClause
    from expectmatrix.library.models import Clause, ClauseText, Playbook
    from expectmatrix.spec.models import FrameChoice


@dataclass
class Library:
    clauses: dict[str, Clause] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # clause id -> file it came from
    playbooks: dict[str, Playbook] = field(default_factory=dict)
    playbook_sources: dict[str, str] = field(default_factory=dict)
    frame: dict[str, FrameClause] = field(default_factory=dict)
    # language -> clause id -> wording; files of translation_dirs are read on first use
    translations: dict[str, dict[str, ClauseText]] = field(default_factory=dict)
    translation_dirs: list[Path] = field(default_factory=list)
    loaded_languages: set[str] = field(default_factory=set)
    # the organisation's choice of frame clause (and values) per part, from its settings
    frame_defaults: dict[str, FrameChoice] = field(default_factory=dict)
