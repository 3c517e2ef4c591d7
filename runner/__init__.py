"""The top of the house: the embedded runner (one process, one machine) and the `langnghe` CLI.

Owns scheduling and wiring only; the work itself is in the stage functions of `runner.stages`,
which the Airflow DAGs call too.
"""
