"""Stage 4, view and write: everything a document shows, for one audience (view,
audience), the template sandbox and what templates may see (templating, plain), the
writers behind one interface ``render(view) -> bytes`` (html, standalone, pdf, docx, with
the OOXML pieces in ooxml and a company letterhead in letterhead; the fulfilment
statement in statement and statement_docx), worker processes that can be stopped
(workers), the names of output files (output), and the pipeline that takes one spec file
to documents on disk (pipeline)."""
