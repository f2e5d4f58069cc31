"""The site's build: one MkDocs plugin (plugin.py), its post-build sequence (steps.py), the checks of
mkdocs.yml's settings (quick_exit.py, waitlist.py) and `make check` (check.py)."""
