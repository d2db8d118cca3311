#!/bin/sh
# Entrypoint of celery-repro/servers: Debian's Postgres, Redis and RabbitMQ behind the variables of their official
# images, so compose.yaml runs unchanged on either. postgres: POSTGRES_PASSWORD(_FILE), POSTGRES_DB, PGDATA (and TLS
# with a self-signed certificate, which the official image lacks);
# rabbitmq-server: RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS; anything else runs as given.
set -eu

postgres_init() {
  PGDATA=${PGDATA:-/var/lib/postgresql/data}
  export PGDATA
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password=${POSTGRES_PASSWORD:-}
    [ -n "${POSTGRES_PASSWORD_FILE:-}" ] && password=$(cat "$POSTGRES_PASSWORD_FILE")
    [ -n "$password" ] || { echo "server-entrypoint: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2; exit 2; }
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 0700 "$PGDATA"
    pwfile=$(mktemp) && printf '%s\n' "$password" > "$pwfile" && chown postgres "$pwfile"
    setpriv --reuid=postgres --regid=postgres --init-groups initdb --username=postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # TLS with a self-signed certificate, as on the local backend, so that cells can ask for sslmode=require
    setpriv --reuid=postgres --regid=postgres --init-groups openssl req -x509 -newkey ec \
      -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=postgres \
      -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
    echo "ssl = on" >> "$PGDATA/postgresql.conf"
    echo "max_connections = 200" >> "$PGDATA/postgresql.conf"  # as the local backend's server
    if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
      echo "CREATE DATABASE \"$POSTGRES_DB\";" | setpriv --reuid=postgres --regid=postgres --init-groups \
        postgres --single -D "$PGDATA" postgres >/dev/null
    fi
  fi
}

rabbitmq_init() {
  cat > /etc/rabbitmq/rabbitmq.conf <<EOF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
loopback_users = none
listeners.tcp.default = 5672
EOF
  chown rabbitmq:rabbitmq /etc/rabbitmq/rabbitmq.conf && chmod 0640 /etc/rabbitmq/rabbitmq.conf
}

case "${1:-}" in
  postgres)
    postgres_init
    shift
    exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
    ;;
  rabbitmq-server)  # exec into the node (RUNNING_UNDER_SYSTEMD: no wrapper shell, -noinput), so SIGTERM reaches it
    rabbitmq_init
    shift
    mkdir -p /var/log/rabbitmq && chown rabbitmq:rabbitmq /var/log/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq RUNNING_UNDER_SYSTEMD=1 \
      /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
