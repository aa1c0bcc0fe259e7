"""Replication 1 (Kung & Peng 2023, "Do models really learn to follow instructions?"): the random
baseline, instruction tuning of the reader family on held-out task families, and the same
question put zero-shot to a pretrained LM. `specs` holds their specs (imports nothing heavy).
Builds on `experiments.shared`; never imports replication 2."""
