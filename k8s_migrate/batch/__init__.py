"""Fleet batch: find every configuration file under a directory, migrate each in a process pool,
check the fleet for cross-file consistency, and give one combined report.

- ``discovery``: which files, of which kind, for which versions and charts (``Job``);
- ``worker``: migrate one job (a dispatch table: kind -> handler), write its output;
- ``consistency``: cross-file checks over the facts each worker returns;
- ``progress``: a progress bar on a TTY only;
- ``run``: the whole batch.
"""
