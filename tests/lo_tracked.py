"""Edit a DOCX in LibreOffice itself, with its change tracking on, and save it as Word
2007 XML: LibreOffice then writes its own w:ins/w:del, author and date.

Run by the system Python, which has LibreOffice's UNO bridge:
    python3 lo_tracked.py IN.docx OUT.docx PROFILE_URL PLAN_JSON
PLAN_JSON: {"author": "First Last", "replace": [[old, new], ...], "delete_rows": [id, ...]}
(a row is found by the id printed at the start of its first cell).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str, proc: subprocess.Popen[bytes]) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 120
    while True:  # the office takes a moment to open its pipe
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def edit(ctx: object, src: str, dst: str, plan: dict[str, object]) -> None:
    smgr = ctx.ServiceManager  # type: ignore[attr-defined]
    config = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider",
                                            ctx)
    user = config.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationUpdateAccess",
        (prop("nodepath", "/org.openoffice.UserProfile/Data"),))
    first, _, last = str(plan["author"]).partition(" ")
    user.setPropertyValue("givenname", first)
    user.setPropertyValue("sn", last)
    user.commitChanges()
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                       (prop("Hidden", True),))
    doc.RecordChanges = True
    for old, new in plan.get("replace", []):  # type: ignore[attr-defined]
        search = doc.createReplaceDescriptor()
        search.SearchString, search.ReplaceString = old, new
        assert doc.replaceAll(search) == 1, old
    for eid in plan.get("delete_rows", []):  # type: ignore[attr-defined]
        tables = doc.TextTables
        for i in range(tables.Count):
            table = tables.getByIndex(i)
            # the id is the first word, or the second after a non-standard mark
            rows = [r for r in range(table.Rows.Count) if eid in table.getCellByPosition(0, r)
                    .String.translate({0x2068: None, 0x2069: None}).split()[:2]]
            if rows:
                table.Rows.removeByIndex(rows[0], 1)
    doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "MS Word 2007 XML"),))
    doc.close(True)
    with contextlib.suppress(Exception):  # the office closing drops the bridge
        desktop.terminate()


def main() -> None:
    src, dst, profile, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    pipe = f"expectmatrix-{os.getpid()}"
    proc = subprocess.Popen(["soffice", f"-env:UserInstallation={profile}", "--headless",
                             "--invisible", "--norestore", f"--accept=pipe,name={pipe};urp;"],
                            stderr=subprocess.DEVNULL)
    try:
        edit(connect(pipe, proc), src, dst, plan)
    finally:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
