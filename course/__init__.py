"""The course's data model, loading and checking: records from data/, every problem found at
once, and what the site computes from them. Nothing here knows about MkDocs."""
