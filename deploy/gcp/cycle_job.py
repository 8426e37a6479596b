"""Dataproc entry point: run a tickerpulse cycle command inside the cluster's Spark session.

Dataproc starts this file with ``spark-submit``; the wheel given by ``--py-files``
provides ``tickerpulse``. ENGINE=spark makes the aggregate stage use the session
Dataproc created; LAKE_URL and DATABASE_URL come from the batch's environment
(set them with ``--properties spark.dataproc.driverEnv.LAKE_URL=...``).
"""

import sys

from tickerpulse.cli import app

if __name__ == "__main__":
    sys.exit(app(["cycle", *sys.argv[1:]], standalone_mode=True))
