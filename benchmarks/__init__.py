"""Speed benchmarks: `python -m benchmarks.<name>` prints numbers."""
