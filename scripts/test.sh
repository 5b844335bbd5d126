#!/usr/bin/env bash
# The whole test suite, with its own set-up. It installs and starts,
# idempotently, what the tests need (PostgreSQL and h2spec when absent), then
# runs every test. Usage: bash scripts/test.sh [go test flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# PostgreSQL: unless PORTICO_TEST_POSTGRES names another server, make sure a
# local server answers on 127.0.0.1:5432 with trust auth for user postgres and has a
# database "test", installing and starting it if needed.
ensure_postgres() {
  export PORTICO_TEST_POSTGRES="${PORTICO_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
  case "$PORTICO_TEST_POSTGRES" in
    *@127.0.0.1:5432/*|*@localhost:5432/*) ;;
    *) return 0 ;; # someone else's server: theirs to run
  esac
  command -v pg_isready >/dev/null || apt_install postgresql postgresql-client
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    log "starting PostgreSQL $ver"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
  fi
  if ! psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -Atqc 'select 1' >/dev/null 2>&1; then
    # A fresh Debian cluster wants passwords on TCP: allow trust on loopback.
    local ver hba
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    log "enabling trust auth for loopback in $hba"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
    sleep 1
  fi
  psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -Atqc \
    "select 1 from pg_database where datname='test'" | grep -q 1 ||
    psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -qc 'create database test'
}

# h2spec, the HTTP/2 conformance suite that TestHTTP2Conformance runs
# against the edge (internal/edge/h2hardening_test.go): installed with go
# install unless that version is already in GOBIN (or GOPATH/bin). v2.2.1 is
# the newest release the Go module proxy serves: later tags have a go.mod
# without the /v2 suffix. Keep it equal to h2specVersion in that test.
H2SPEC_VERSION=v2.2.1+incompatible
ensure_h2spec() {
  local bin
  bin=$(go env GOBIN)
  [ -n "$bin" ] || bin="$(go env GOPATH | cut -d: -f1)/bin"
  if [ -x "$bin/h2spec" ] && go version -m "$bin/h2spec" 2>/dev/null |
    grep -q "github.com/summerwind/h2spec[[:space:]]*$H2SPEC_VERSION[[:space:]]"; then
    return 0
  fi
  log "installing h2spec $H2SPEC_VERSION"
  go install "github.com/summerwind/h2spec/cmd/h2spec@$H2SPEC_VERSION"
}

ensure_postgres
ensure_h2spec
log "PostgreSQL and h2spec ready; running go test"
go test -count=1 -timeout 20m "$@" ./...
