"""Stage 5, for legal: compare two specs, redline them, read documents back, verify a
document against its spec and extract the spec it carries."""
