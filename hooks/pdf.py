"""MkDocs hook: worksheet PDFs (placeholder until the printing feature lands)."""
