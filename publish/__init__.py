"""Post-build steps that make the built site ready to publish: a content security policy
computed from the built pages, precompressed files, link-preview images and robots.txt.
Plain Python over a folder of built files; sitebuild/plugin.py is the MkDocs adapter."""
