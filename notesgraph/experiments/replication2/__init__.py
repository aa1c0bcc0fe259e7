"""Replication 2 (Webson & Pavlick 2022, "Do prompt-based models really understand the meaning of
their prompts?"): few-shot prompt-based learning on RTE-lite with templates of five categories
and nine target sets, on the reader (M1, M1 without yes/no, M0), a pretrained causal LM in
context, or a local masked LM. `specs` holds its spec. Builds on `experiments.shared`; never
imports replication 1."""
