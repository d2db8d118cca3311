#!/usr/bin/env bash
# Local images for the Compose backend, built from the Debian mirror when no image registry is in reach:
#   servers    celery-repro/servers:bookworm  Postgres 15, Redis 7 and RabbitMQ from Debian, with an entrypoint
#                                             that takes the official images' variables (POSTGRES_*, RABBITMQ_*)
#   base       celery-repro/debian:bookworm   minbase and the libraries a pyenv-built Python loads
#   python V   celery-repro/python:V          the base with this machine's pyenv build of Python V (3.8-3.13), at
#                                             the path it was built for
# An image that exists is kept; --rebuild builds it again. Nothing is pulled: the rootfs comes from mmdebstrap.
set -euo pipefail
cd "$(dirname "$0")"

SUITE=bookworm
SERVERS=celery-repro/servers:$SUITE
BASE=celery-repro/debian:$SUITE
PYTHON_LIBS=libbz2-1.0,libexpat1,libffi8,liblzma5,libncursesw6,libnsl2,libreadline8,libsqlite3-0,libssl3,libtinfo6,libtirpc3,libuuid1,zlib1g,passwd
SERVER_PACKAGES=postgresql-15,redis-server,rabbitmq-server,passwd,openssl
REBUILD=0

say() { echo "images: $*" >&2; }
die() { say "$*"; exit 2; }

exists() { [ "$REBUILD" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }

mirror() { sh debian-mirror.sh; }  # the system's own Debian mirror (images.sh runs in compose/)

rootfs() {  # rootfs NAME PACKAGES CHANGES [mmdebstrap options...]: a minbase bookworm with PACKAGES, imported as
  # NAME with the image settings CHANGES (newline-separated); tagged NAME only once the import is whole
  local name=$1 packages=$2 changes=$3 started=$SECONDS partial="$1-partial" change
  shift 3
  local import=(docker import)
  while IFS= read -r change; do [ -n "$change" ] && import+=(--change "$change"); done <<< "$changes"
  say "building $name from $(mirror) (packages: $packages)"
  mmdebstrap --quiet --variant=minbase --include="$packages" --aptopt='APT::Install-Recommends "false"' \
    --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' "$@" \
    "$SUITE" - "$(mirror)" | "${import[@]}" - "$partial" >/dev/null
  docker tag "$partial" "$name" && docker rmi "$partial" >/dev/null
  say "$name built in $((SECONDS - started)) s"
}

servers() {
  exists "$SERVERS" && { say "$SERVERS present"; return; }
  rootfs "$SERVERS" "$SERVER_PACKAGES" 'ENTRYPOINT ["/usr/local/bin/server-entrypoint"]
CMD ["bash"]
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8' \
    --customize-hook='copy-in server-entrypoint.sh /usr/local/bin' \
    --customize-hook='mv "$1"/usr/local/bin/server-entrypoint.sh "$1"/usr/local/bin/server-entrypoint' \
    --customize-hook='chmod 0755 "$1"/usr/local/bin/server-entrypoint'
}

base() {
  exists "$BASE" && { say "$BASE present"; return; }
  rootfs "$BASE" "$PYTHON_LIBS" 'CMD ["bash"]
ENV LANG=C.UTF-8' --customize-hook='chmod 0755 "$1"/root'
}

python_image() {  # python_image 3.11: the newest pyenv build of that minor version
  local minor=$1 root version
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  version=$(ls "$root/versions" 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n1 || true)
  [ -n "$version" ] || die "no pyenv build of Python $minor under $root/versions"
  exists "celery-repro/python:$minor" && { say "celery-repro/python:$minor present"; return; }
  base
  local started=$SECONDS
  say "building celery-repro/python:$minor from $root/versions/$version"
  docker build --quiet --tag "celery-repro/python:$minor" --build-arg "BASE=$BASE" \
    --build-arg "PREFIX=$root/versions/$version" --file "$PWD/python.Dockerfile" "$root/versions/$version" >/dev/null
  say "celery-repro/python:$minor built in $((SECONDS - started)) s"
}

[ "${1:-}" = --rebuild ] && { REBUILD=1; shift; }
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run make engine first"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers: run make engine first"
case "${1:-all}" in
  servers) servers ;;
  base) base ;;
  python) python_image "${2:?usage: images.sh python 3.11}" ;;
  all) servers; base; for minor in ${REPRO_IMAGE_PYTHONS:-3.11}; do python_image "$minor"; done ;;
  *) die "usage: compose/images.sh [--rebuild] [servers|base|python V|all]" ;;
esac
