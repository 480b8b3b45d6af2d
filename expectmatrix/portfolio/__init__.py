"""The portfolio report: many deal specs read as accounts by revenue and margin, and
segments by what their deals hold."""
