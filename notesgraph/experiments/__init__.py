"""Experiments as data, and the runner that executes them in their own process.

`registry` lists experiments without importing them; `runner` creates, launches, cancels and
resumes runs recorded in the store; `verdicts` turns confidence intervals into per-claim
verdicts. One module per experiment holds its implementation (imported only to run it).
"""
