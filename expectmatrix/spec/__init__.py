"""Stage 1, read: the deal spec as a contract (pydantic models and their vocabularies),
reading files people give us with bounds, loading YAML/JSON with the position of every
value, findings (located problems), messages for people, and the canonical form and
fingerprint. Nothing here knows of clauses, documents or the command line."""
