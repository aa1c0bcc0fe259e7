"""The desktop app (PySide6). The only package that imports Qt; it calls the same core
functions as the CLI."""
