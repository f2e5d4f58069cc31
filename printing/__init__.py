"""The PDFs: course records in, PDF bytes out (WeasyPrint). Nothing here knows about MkDocs."""
