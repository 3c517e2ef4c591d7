"""Quality evaluations: `python -m evaluation.<name>` prints numbers and checks pinned floors."""
