"""The bundled waitlist service of Rebuilding Trust.

One process serves the built static site and accepts sign-ups into a database
(SQLite by default, PostgreSQL through ``DATABASE_URL``). Run it with
``python -m waitlist serve``; ``python -m waitlist export`` prints the sign-ups as CSV.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.0.0"
