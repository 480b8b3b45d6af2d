"""Stage 2: the clause library and segment playbooks, as data (models, files, caches),
resolving ``clause:`` rows of a spec, and first drafts from a playbook. Knows nothing of
documents or the command line."""
