"""Stage 5, for sales ops: many specs from folders and CSV exports (csvrows), on worker
processes (runner), with the bookkeeping and manifest on disk (manifest) and progress
for people (progress)."""
