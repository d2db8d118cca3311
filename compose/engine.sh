#!/usr/bin/env bash
# The Docker engine of the Compose backend on a Debian machine with no image registry in reach:
#   install  Debian's docker.io, iptables and mmdebstrap, and Compose v2 as a CLI plugin
#   start    dockerd with its pid file and log in $REPRO_ENGINE_DIR, fenced to loopback and its own bridges
#   stop     the dockerd this script started (by its pid file), nothing else, and its fence rules
#   status   whether an engine answers, and whose it is
# Fence: the containers' DNS server is a loopback address, the daemon's proxy a dead loopback port (a pull
# fails at once), IPv6 off, and the DOCKER-USER chain drops what a container sends out of the engine's bridges.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${REPRO_ENGINE_DIR:-/run/celery-repro-engine}
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log
SOCKET=/var/run/docker.sock
DEAD_PROXY=http://127.0.0.1:9  # nothing listens on the discard port: a connection is refused at once
PLUGINS=/usr/local/lib/docker/cli-plugins
COMPOSE_SUITE=trixie  # bookworm's docker-compose is v1, which rejects compose.yaml

say() { echo "engine: $*" >&2; }
die() { say "$*"; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (it installs packages, runs dockerd and sets iptables rules)"

install_compose_v2() (  # the docker-compose package of Debian's trixie suite, fetched with a separate apt state
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(sh "$HERE/debian-mirror.sh") $COMPOSE_SUITE main" \
    > "$tmp/sources.list"
  apt=(apt-get -qq -o "Dir::State=$tmp/state" -o "Dir::Cache=$tmp/cache"
             -o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
             -o "APT::Sandbox::User=root")
  "${apt[@]}" update
  (cd "$tmp" && "${apt[@]}" download docker-compose)
  dpkg-deb -x "$tmp"/docker-compose_*.deb "$tmp/root"
  mkdir -p "$PLUGINS"
  install -m 0755 "$tmp/root/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGINS/docker-compose"
  say "Compose $("$PLUGINS/docker-compose" version --short) installed in $PLUGINS"
)

install_all() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v pigz >/dev/null || missing+=(pigz)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    local policy=/usr/sbin/policy-rc.d added=0  # the package must not start a dockerd of its own (unfenced)
    [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 0755 "$policy"; added=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$added" = 0 ] || rm -f "$policy"
  fi
  docker compose version --short 2>/dev/null | grep -q '^v\?2' || install_compose_v2
}

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ours() {  # the pid file names a live dockerd
  [ -f "$PIDFILE" ] && [ "$(cat "/proc/$(cat "$PIDFILE")/comm" 2>/dev/null)" = dockerd ]
}

FENCE=("-i docker0 ! -o docker0" "-i br-+ ! -o br-+")  # out of docker0 or a Compose bridge, to anywhere else

fence() {  # first in DOCKER-USER, which dockerd consults before its own forwarding rules
  iptables -N DOCKER-USER 2>/dev/null || true
  local rule
  for rule in "${FENCE[@]}"; do
    # shellcheck disable=SC2086
    iptables -C DOCKER-USER $rule -m comment --comment celery-repro-fence -j DROP 2>/dev/null ||
      iptables -I DOCKER-USER $rule -m comment --comment celery-repro-fence -j DROP
  done
}

unfence() {
  local rule
  for rule in "${FENCE[@]}"; do
    # shellcheck disable=SC2086
    iptables -D DOCKER-USER $rule -m comment --comment celery-repro-fence -j DROP 2>/dev/null || true
  done
}

start() {
  install_all
  fence
  if answers; then
    if ours; then say "running (pid $(cat "$PIDFILE"))"; else
      say "an engine not started here already answers: used as it is (its DNS and proxy are its own)"; fi
    return 0
  fi
  install -d -m 0700 -o root -g root "$STATE"
  [ "$(stat -c %u "$STATE")" = 0 ] || die "$STATE is not root's: refusing to use it"
  printf '%s\n' '{"dns": ["127.0.0.1"], "ip": "127.0.0.1", "ipv6": false, "storage-driver": "overlay2",' \
    ' "log-level": "warn"}' > "$STATE/daemon.json"
  say "starting dockerd (log $LOG)"
  env -i PATH="$PATH" HTTP_PROXY=$DEAD_PROXY HTTPS_PROXY=$DEAD_PROXY http_proxy=$DEAD_PROXY \
    https_proxy=$DEAD_PROXY setsid dockerd --config-file "$STATE/daemon.json" --pidfile "$PIDFILE" \
    --host "unix://$SOCKET" >>"$LOG" 2>&1 < /dev/null &
  local pid=$!
  for _ in $(seq 300); do answers && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if ! answers; then
    kill "$pid" 2>/dev/null || true
    die "dockerd did not answer within 30 s: $(tail -n1 "$LOG")"
  fi
  say "ready: engine $(docker version --format '{{.Server.Version}}'), pid $(cat "$PIDFILE")"
}

stop() {
  if ! ours; then
    say "no dockerd of ours is running"
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "dockerd $pid did not stop within 20 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  unfence
  say "stopped dockerd $pid"
}

status() {
  if answers; then
    echo "engine $(docker version --format '{{.Server.Version}}') answers$(ours && echo ", started here (pid $(cat "$PIDFILE"))")"
  else
    echo "no engine answers"
    return 1
  fi
}

case "${1:-}" in
  install) install_all ;;
  start|stop|status) "$1" ;;
  *) die "usage: compose/engine.sh install|start|stop|status" ;;
esac
