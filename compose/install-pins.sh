#!/bin/sh
# A cell's requirement lines from the Docker build arguments (an empty *_VERSION: not in this cell).
set -eu
: "${CELERY_VERSION:?is empty: pass the build arguments that harness compose-args SCENARIO --cell NAME prints}"
pin() { if [ -n "$2" ]; then echo "$1==$2"; fi; }
pin 'celery[redis]' "$CELERY_VERSION"
pin 'kombu[redis]' "${KOMBU_VERSION:-}"
pin billiard "${BILLIARD_VERSION:-}"
pin amqp "${AMQP_VERSION:-}"
pin vine "${VINE_VERSION:-}"
pin redis "${REDIS_VERSION:-}"
pin django "${DJANGO_VERSION:-}"
pin psycopg2-binary "${PSYCOPG2_BINARY_VERSION:-}"
pin 'psycopg[binary]' "${PSYCOPG_VERSION:-}"
pin psycopg-pool "${PSYCOPG_POOL_VERSION:-}"
pin setuptools "${SETUPTOOLS_VERSION:-}"
pin gunicorn "${GUNICORN_VERSION:-}"
for extra in ${EXTRA_PINS:-}; do echo "$extra"; done
