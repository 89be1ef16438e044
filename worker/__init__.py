"""The RQ side of the portal: `python -m worker` runs the worker, its scheduler and the outbox relay."""
