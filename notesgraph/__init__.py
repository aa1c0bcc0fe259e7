"""notesgraph: turn a folder of research notes into one living graph."""

__version__ = "0.1.0"
