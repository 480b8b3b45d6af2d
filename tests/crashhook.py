"""Loaded into batch workers by the crash test: a spec whose deal id starts with CRASH
kills the worker process outright, as a segfault or the OOM killer would."""

import os


def install() -> None:
    from expectmatrix.render import pdf as pdf_writer

    original = pdf_writer.PdfRenderer.render

    def render(self, view, *args):  # type: ignore[no-untyped-def]
        if view.deal_id.startswith("CRASH"):
            os._exit(70)
        return original(self, view, *args)

    pdf_writer.PdfRenderer.render = render  # type: ignore[method-assign]
