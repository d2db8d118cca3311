"""The harness's own connections to Postgres, tagged with one application name so that no probe counts them."""
from __future__ import annotations

import psycopg

PROBE_APP = "celery-repro-probe"


def probe_connection(dsn: str) -> psycopg.Connection:
    """An autocommit connection tagged so that the probes never count themselves."""
    return psycopg.connect(dsn, autocommit=True, application_name=PROBE_APP)
