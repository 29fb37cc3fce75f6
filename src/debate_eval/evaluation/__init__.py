"""The evaluation harness: compare judges against human labels (`debate-eval eval`)."""
