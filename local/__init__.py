"""The local runner: one process playing API Gateway + Function Compute + triggers on a laptop."""
