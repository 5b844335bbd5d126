#!/usr/bin/env bash
# Portico's edge against nginx and HAProxy as SNI-based TLS-terminating
# reverse proxies, side by side on loopback. See bench/README.md.
#
#   bash bench/edge/run.sh            # full: N = 1, 10,000, 100,000; 3 rounds; ~25 min (+ ~8 min seeding once)
#   bash bench/edge/run.sh --quick    # smoke: N = 1, 1,000; 3 short rounds; ~2 min
#
# Options: --rounds N, --sizes 1,10000,..., --duration 5s, --peers nginx,haproxy,portico,
# --work DIR (seeded hostnames; default /dev/shm/portico-bench-edge), --out DIR;
# anything after -- goes to edgebench (e.g. -- -portico-b /path/to/old/portico -peers nginx,portico-b,portico).
#
# It installs nginx, haproxy, nghttp2-client (h2load) and util-linux (taskset)
# with apt-get when missing, without starting their services; builds
# portico and the helpers into bench/out/edge/bin; seeds each size once
# (certificates, Portico database, kept in --work); then runs edgebench
# pinned to core 1, which pins every proxy to core 0. It stops only the
# processes it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=0 rounds=3 sizes="1,10000,100000" duration=5s warmup=1s peers="nginx,haproxy,portico"
work="${PORTICO_BENCH_WORK:-/dev/shm/portico-bench-edge}" out="bench/edge"
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --peers) peers="$2"; shift ;;
    --work) work="$2"; shift ;;
    --out) out="$2"; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    sizes="1,1000" duration=1s warmup=250ms out="bench/out/edge-quick"
fi

if [ "$(nproc --all)" -lt 2 ]; then
    echo "run.sh: needs 2 cores (one for the proxies, one for the load)" >&2
    exit 1
fi

# --- what it needs, installed once -------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    # Debian starts nginx and haproxy on install unless policy-rc.d forbids
    # it; the benchmark runs its own instances, so forbid it for the install.
    policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
        made_policy=1
    fi
    echo "run.sh: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    [ "$made_policy" = 0 ] || $sudo rm -f "$policy"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- build -------------------------------------------------------------------
bin="bench/out/edge/bin"
mkdir -p "$bin" "$out"
go build -o "$bin/portico" ./cmd/portico
go build -o "$bin/" ./bench/edge/cmd/edgesetup ./bench/edge/cmd/edgebench ./bench/edge/cmd/upstream

# --- seed each size once (kept in $work; remove it to start over) -----------
IFS=, read -ra ns <<<"$sizes"
for n in "${ns[@]}"; do
    "$bin/edgesetup" seed -dir "$work/n$n" -n "$n"
done

# --- run: edgebench on core 1, proxies on core 0 -----------------------------
taskset -c 1 "$bin/edgebench" -work "$work" -sizes "$sizes" -rounds "$rounds" -peers "$peers" \
    -duration "$duration" -warmup "$warmup" -out "$out" -proxy-cpu 0 -load-cpu 1 \
    -portico "$bin/portico" -upstream "$bin/upstream" -edgesetup "$bin/edgesetup" \
    ${extra[@]+"${extra[@]}"}
echo "run.sh: results in $out/results.md and $out/results.json" >&2
