"""The task ledger: one row per task execution, keyed by the dispatch id."""
