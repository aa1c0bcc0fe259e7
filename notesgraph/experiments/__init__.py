"""Experiments as data, and the runner that executes them in their own process.

`registry` lists experiments without importing them (and picks the one for a claim); `runner`
owns runs: it creates, launches, watches, cancels and resumes runs recorded in the store, for
the CLI and the app alike; `verdicts` turns confidence intervals into per-claim
verdicts. Each replication has a folder (`replication1`, `replication2`) with its specs beside
its implementation (imported only to run it); neither imports the other, and what both build on
(the word world, the task suite, the reader and its pretrained base, the causal LM) is in
`shared`.
"""
