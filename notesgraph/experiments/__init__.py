"""Experiments as data, and the runner that executes them in their own process.

`registry` lists experiments without importing them (and picks the one for a claim); `runner`
owns runs: it creates, launches, watches, cancels and resumes runs recorded in the store, for
the CLI and the app alike; `verdicts` turns confidence intervals into per-claim
verdicts. One module per experiment holds its implementation (imported only to run it).
"""
