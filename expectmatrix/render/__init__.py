"""Stage 4, view and write: everything a document shows (view), the template sandbox and
what templates may see (templating, plain), the writers behind one interface
``render(view) -> bytes`` (html, pdf, docx, with the OOXML pieces in ooxml), the files a
document uses (assets), labels per language (i18n), worker processes that can be
stopped (workers), output files written as one unit (output), and the pipeline that
takes one spec file to documents on disk (pipeline)."""
