"""What both replications build on: the word world (lexicon, world_corpus), the task suite and
its held-out design (instruction_tasks, heldout_suite), the reader model and its pretrained,
cached base (reader_model, base_model), the causal-LM backend (causal_lm) and the base model's
spec parameters (specs)."""
