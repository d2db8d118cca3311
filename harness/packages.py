"""Which packages every cell pins, and the requirement name each is installed under."""

# What every cell pins, so a rerun installs the same set.
PINNED = ("celery", "kombu", "billiard", "amqp", "vine", "redis", "django",
          "psycopg2-binary", "psycopg", "psycopg-pool", "setuptools")
# Extras installed with a pinned package: kombu's redis transport needs packaging from kombu 5.7
# on (declared only in kombu's own redis extra, which older celery[redis] does not pull in),
# and psycopg 3 needs its binary libpq build.
EXTRAS = {"celery": "celery[redis]", "kombu": "kombu[redis]", "psycopg": "psycopg[binary]"}
