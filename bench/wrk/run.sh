#!/usr/bin/env bash
# Proxy benchmark on a 2-core machine, in one run:
#   backend  nginx `return 200` (~100 B body), pinned to CPU 0, also measured directly
#   nginx    reverse proxy, 1 worker, upstream keepalive 64, pinned to CPU 1
#   tollgate --workers 1 (release build), HTTP_PROXY to the backend, pinned to CPU 1, once per
#            driver (uring, epoll)
#   wrk      -t1 -c50, pinned to CPU 0 with the backend
# Rounds are interleaved (backend, nginx, tollgate-uring, tollgate-epoll, repeat). Each run
# reports requests/s, p50/p99 and the proxy's CPU time per request: (utime+stime of the proxy
# process from /proc/PID/stat, after - before) / requests. The table shows medians over rounds
# and ratios to nginx.
#
#   bench/wrk/run.sh                       # 3 rounds x 10 s
#   ROUNDS=5 DURATION=20 bench/wrk/run.sh
#   bench/wrk/run.sh --callgrind           # userspace instructions per request (valgrind)
#   MAPPED=1 bench/wrk/run.sh              # adds tollgate-DRIVER-mapped: POST /mapped, a body
#                                          # validated against a model and reshaped by a request
#                                          # template (api-mapped.yaml.tmpl), reported against the plain
#                                          # proxy of the same driver
#   HTTPS=1 bench/wrk/run.sh               # adds tollgate-DRIVER-https and nginx-https: the same
#                                          # backend over TLS (test CA, verified, pooled), reported
#                                          # against the plain proxy and against nginx over TLS
#   KEYED=1 bench/wrk/run.sh               # adds tollgate-DRIVER-keyed: GET /keyed with an API key
#                                          # (usage plan with a per-key throttle) and stage throttles,
#                                          # every level passed (api-keyed.yaml.tmpl; set up with the
#                                          # aws CLI), reported against the plain proxy
#   LAMBDA=1 bench/wrk/run.sh              # adds tollgate-DRIVER-lambda: GET /lambda, an AWS_PROXY
#                                          # integration (event built, Invoke signed, reply mapped)
#                                          # against the backend's fixed Invoke stub
#                                          # (api-lambda.yaml.tmpl), reported against the plain proxy
#   AUTH=1 bench/wrk/run.sh                # adds tollgate-DRIVER-authlambda (a cached TOKEN Lambda
#                                          # authorizer), -authjwt (a Cognito ID token, cached),
#                                          # -authjwt0 (the same, verified every request: TTL 0) and
#                                          # -authiam (a presigned SigV4 URL) (api-auth.yaml.tmpl,
#                                          # keys from auth_material.py), against the plain proxy;
#                                          # AUTH_KINDS="lambda jwt jwt0 iam" picks some
#   CACHE=1 bench/wrk/run.sh               # adds tollgate-DRIVER-cache (GET /bench with the stage
#                                          # cache on, every request after the first a hit; set up
#                                          # with the aws CLI) and nginx-cache (the same backend
#                                          # through proxy_cache, every request a HIT), reported
#                                          # against each other and against the plain proxy
#   WAF=1 bench/wrk/run.sh                 # adds tollgate-DRIVER-waf: GET /bench?x=1&name=alice
#                                          # through a ten-rule web ACL (waf_setup.py, through the
#                                          # wafv2 API) with the stage's access log on (CLF, to a
#                                          # file), reported against the plain proxy
#
# Env: ROUNDS (3), DURATION seconds (10), CONNS (50), BACKEND_PORT (18081), NGINX_PORT (18082),
#      DRIVERS ("uring epoll"), NO_BUILD=1 to use an existing target/release/tollgate,
#      TOLLGATE=path to bench another binary, BASELINE=path to add an older build to the same
#      interleaved rounds (reported as baseline-DRIVER), KEEP_WORK=1 to keep the work folder
#      (configs, logs, callgrind dumps for callgrind_annotate).
# Everything binds 127.0.0.1 and every process started here is stopped by PID on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
HERE=$ROOT/bench/wrk
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
BACKEND_PORT=${BACKEND_PORT:-18081}
NGINX_PORT=${NGINX_PORT:-18082}
BACKEND_TLS_PORT=${BACKEND_TLS_PORT:-18083}
MODE=wrk
[ "${1:-}" = "--callgrind" ] && MODE=callgrind
# valgrind cannot run io_uring: callgrind measures the epoll driver unless told otherwise.
if [ "$MODE" = callgrind ]; then DRIVERS=${DRIVERS:-epoll}; else DRIVERS=${DRIVERS:-uring epoll}; fi

CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/tollgate-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v taskset >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
if [ "$MODE" = callgrind ]; then command -v valgrind >/dev/null || need+=(valgrind); fi
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    log "installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ "$(nproc)" -ge 2 ] || { log "needs at least 2 CPUs"; exit 1; }

if [ "${NO_BUILD:-0}" != 1 ]; then
    log "building tollgate (release)"
    cargo build --release --bin tollgate >&2
fi
TOLLGATE=${TOLLGATE:-$ROOT/target/release/tollgate}

# --- helpers -------------------------------------------------------------------------------------
render() { # template out [KEY VALUE]...
    local tmpl=$1 out=$2; shift 2
    local text; text=$(cat "$tmpl")
    while [ $# -gt 0 ]; do text=${text//@$1@/$2}; shift 2; done
    printf '%s\n' "$text" >"$out"
}

wait_port() { # port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    log "nothing listening on $1"; return 1
}

cpu_ticks() { # pid -> utime+stime (all threads)
    sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

to_us() { # "1.23ms" -> 1230
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else f = 1;
        printf "%.1f", n * f }'
}

# A test CA and a certificate for localhost / 127.0.0.1, for the backend's TLS listener.
make_tls() {
    local d=$WORK/tls
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
        -subj "/CN=Bench CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
        -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -out "$d/server.crt" -days 2 \
        -extfile <(printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth") 2>/dev/null
}

start_backend() {
    mkdir -p "$WORK"/backend-{body,proxy,fastcgi,uwsgi,scgi}
    make_tls
    if [ "${AUTH:-0}" = 1 ]; then "$PYTHON" "$HERE/auth_material.py" keys "$WORK"; fi
    render "$HERE/backend.conf.tmpl" "$WORK/backend.conf" DIR "$WORK" PORT "$BACKEND_PORT" TLS_PORT "$BACKEND_TLS_PORT"
    taskset -c 0 nginx -e "$WORK/backend.error.log" -p "$WORK" -c "$WORK/backend.conf" 2>>"$WORK/backend.stderr" &
    BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
    wait_port "$BACKEND_PORT"
}

start_nginx_proxy() { # [wrapper...]
    mkdir -p "$WORK"/proxy-{body,proxy,fastcgi,uwsgi,scgi,cache}
    render "$HERE/proxy.conf.tmpl" "$WORK/proxy.conf" DIR "$WORK" PORT "$NGINX_PORT" BACKEND "127.0.0.1:$BACKEND_PORT" TLS_PORT "$BACKEND_TLS_PORT"
    taskset -c 1 "$@" nginx -e "$WORK/proxy.error.log" -p "$WORK" -c "$WORK/proxy.conf" 2>>"$WORK/proxy.stderr" &
    NGINX_PID=$!; PIDS+=("$NGINX_PID")
    wait_port "$NGINX_PORT"
}

# start_tollgate NAME DRIVER BINARY [wrapper...] -> sets TG_PID, TG_LISTEN. The API is deployed by
# the config file's [[apis]] (the admin port only takes SigV4-signed requests).
start_tollgate() {
    local name=$1 driver=$2 bin=$3; shift 3
    local dir=$WORK/$name
    mkdir -p "$dir/data"
    # The mapped API only for the mapped targets, so a BASELINE build without templates still
    # serves the plain one.
    local api=api.yaml.tmpl aws=""
    [[ $name == *-mapped ]] && api=api-mapped.yaml.tmpl
    [[ $name == *-https ]] && api=api-https.yaml.tmpl
    [[ $name == *-keyed ]] && api=api-keyed.yaml.tmpl
    if [[ $name == *-auth* ]]; then
        api=api-auth.yaml.tmpl
        aws=$(printf '[aws]\naccount_id = "123456789012"\nregion = "us-east-1"\naccess_key_id = "AKIDBENCH"\nsecret_access_key = "bench-secret"\n[aws.endpoints]\nlambda = "http://127.0.0.1:%s"\n[[iam.principals]]\naccess_key_id = "AKIDBENCHIAM"\nsecret_access_key = "bench-iam-secret"\narn = "arn:aws:iam::123456789012:user/bench"\n' "$BACKEND_PORT")
    fi
    if [[ $name == *-lambda ]]; then
        api=api-lambda.yaml.tmpl
        aws=$(printf '[aws]\naccount_id = "123456789012"\nregion = "us-east-1"\naccess_key_id = "AKIDBENCH"\nsecret_access_key = "bench-secret"\n[aws.endpoints]\nlambda = "http://127.0.0.1:%s"\n' "$BACKEND_PORT")
    fi
    render "$HERE/$api" "$dir/api.yaml" BACKEND "127.0.0.1:$BACKEND_PORT" TLS_BACKEND "localhost:$BACKEND_TLS_PORT"
    cat >"$dir/tollgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"
workers = 1
driver = "$driver"
[admin]
listen = "127.0.0.1:0"
max_body_bytes = 10485760
[limits]
max_url_bytes = 10240
max_header_bytes = 10240
max_headers = 100
max_body_bytes = 10485760
[timeouts]
header_ms = 10000
idle_ms = 120000
connect_ms = 5000
drain_ms = 2000
[upstream]
pool_idle_per_upstream = 64
[storage]
data_dir = "$dir/data"
# The benchmark measures the proxy, not AWS's default account limit (10,000 rps).
[throttling]
account_rate_limit = 1000000000.0
account_burst_limit = 1000000000
$aws
[[apis]]
file = "$dir/api.yaml"
[[apis.stages]]
name = "prod"
TOML
    SSL_CERT_FILE="$WORK/tls/ca.crt" AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="http://127.0.0.1:$BACKEND_PORT" taskset -c 1 "$@" "$bin" run --config "$dir/tollgate.toml" --workers 1 --driver "$driver" \
        --listen 127.0.0.1:0 --admin 127.0.0.1:0 --data-dir "$dir/data" \
        >"$dir/stdout" 2>"$dir/stderr" &
    TG_PID=$!; PIDS+=("$TG_PID")
    local ready=""
    for _ in $(seq 600); do
        ready=$(grep -m1 '^ready ' "$dir/stdout" 2>/dev/null || true)
        [ -n "$ready" ] && break
        kill -0 "$TG_PID" 2>/dev/null || { log "$name exited:"; cat "$dir/stderr" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$ready" ] || { log "$name never became ready"; cat "$dir/stderr" >&2; return 1; }
    TG_LISTEN=$(sed -n 's/.*listen=\([^ ]*\).*/\1/p' <<<"$ready")
    [[ $name == *-keyed ]] && setup_keyed "$dir" "$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' <<<"$ready")"
    [[ $name == *-auth* ]] && setup_auth "$name" "$dir"
    [[ $name == *-cache ]] && setup_cache "$dir" "$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' <<<"$ready")"
    [[ $name == *-waf ]] && setup_waf "$dir" "$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' <<<"$ready")"
    curl -sSf "http://$TG_LISTEN/prod/bench" | grep -q bench-backend \
        || { log "$name does not proxy to the backend"; return 1; }
    # The worker must have stayed on CPU 1 (an internal pin must respect the inherited mask).
    if taskset -apc "$TG_PID" | grep -v "list: 1$" | grep -q .; then
        log "warning: some $name threads are not confined to CPU 1:"
        taskset -apc "$TG_PID" >&2
    fi
}

BENCH_KEY=bench-key-0123456789abcdefghij
# KEYED=1: the API key, a usage plan with a per-key throttle, and stage throttles, through the
# admin port with the aws CLI (the gateway's generated admin credentials).
setup_keyed() { # dir admin-addr
    local dir=$1 admin=$2
    local aws=${AWS:-$ROOT/.venv/bin/aws}; [ -x "$aws" ] || aws=aws
    local cli=(env AWS_SHARED_CREDENTIALS_FILE="$dir/data/admin-credentials" AWS_PROFILE=tollgate
        AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
        "$aws" --endpoint-url "http://$admin" --output text apigateway)
    local api key plan
    api=$("${cli[@]}" get-rest-apis --query 'items[0].id')
    key=$("${cli[@]}" create-api-key --name bench --enabled --value "$BENCH_KEY" --query id)
    plan=$("${cli[@]}" create-usage-plan --name bench --throttle rateLimit=1000000,burstLimit=1000000 \
        --api-stages "apiId=$api,stage=prod" --query id)
    "${cli[@]}" create-usage-plan-key --usage-plan-id "$plan" --key-id "$key" --key-type API_KEY >/dev/null
    "${cli[@]}" update-stage --rest-api-id "$api" --stage-name prod --patch-operations \
        'op=replace,path=/*/*/throttling/rateLimit,value=1000000' \
        'op=replace,path=/*/*/throttling/burstLimit,value=1000000' >/dev/null
    curl -sSf -H "x-api-key: $BENCH_KEY" "http://$TG_LISTEN/prod/keyed" | grep -q bench-backend \
        || { log "the keyed route does not answer"; return 1; }
}

# CACHE=1: the stage cache on (0.5 GB, TTL 3600 s), through the admin port with the aws CLI (the
# `*/*` method settings this creates carry AWS's default stage throttle, 10,000 rps: raised); the
# check below makes the first request fill it and proves the second is a hit (the backend's Date
# comes back unchanged from the cache).
setup_cache() { # dir admin-addr
    local dir=$1 admin=$2
    local aws=${AWS:-$ROOT/.venv/bin/aws}; [ -x "$aws" ] || aws=aws
    local cli=(env AWS_SHARED_CREDENTIALS_FILE="$dir/data/admin-credentials" AWS_PROFILE=tollgate
        AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
        "$aws" --endpoint-url "http://$admin" --output text apigateway)
    local api
    api=$("${cli[@]}" get-rest-apis --query 'items[0].id')
    "${cli[@]}" update-stage --rest-api-id "$api" --stage-name prod --patch-operations \
        'op=replace,path=/cacheClusterEnabled,value=true' \
        'op=replace,path=/cacheClusterSize,value=0.5' \
        'op=replace,path=/*/*/caching/ttlInSeconds,value=3600' \
        'op=replace,path=/*/*/throttling/rateLimit,value=1000000' \
        'op=replace,path=/*/*/throttling/burstLimit,value=1000000' >/dev/null
    local first second
    first=$(curl -sSf -D - -o /dev/null "http://$TG_LISTEN/prod/bench" | grep -i '^x-amzn-Remapped-Date')
    sleep 1.1
    second=$(curl -sSf -D - -o /dev/null "http://$TG_LISTEN/prod/bench" | grep -i '^x-amzn-Remapped-Date')
    [ "$first" = "$second" ] || { log "the cached route is not served from the cache"; return 1; }
}

# WAF=1: the ten-rule web ACL and the access log (waf_setup.py, boto3 through the admin port);
# the check below proves a request passes the ACL and its line reaches the log file.
WAF_QUERY='?x=1&name=alice'
setup_waf() { # dir admin-addr
    local dir=$1 admin=$2
    "$PYTHON" "$HERE/waf_setup.py" "$admin" "$dir/data/admin-credentials" >/dev/null \
        || { log "waf_setup.py failed"; return 1; }
    curl -sSf "http://$TG_LISTEN/prod/bench$WAF_QUERY" | grep -q bench-backend \
        || { log "the WAF-protected route does not answer"; return 1; }
    curl -sS -o /dev/null -w '%{http_code}' "http://$TG_LISTEN/prod/bench?q=%3Cscript%3Ealert(1)%3C/script%3E" | grep -q 403 \
        || { log "the web ACL does not block"; return 1; }
    for _ in $(seq 30); do [ -s "$dir/data/logs/bench.log" ] && break; sleep 0.1; done
    [ -s "$dir/data/logs/bench.log" ] || { log "no access log line in $dir/data/logs/bench.log"; return 1; }
}

# AUTH=1: the request each auth target sends (wrk arguments), checked once here: 200 with the
# backend's answer, so a refused authorization cannot pass for a fast one.
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}; [ -x "$PYTHON" ] || PYTHON=python3
declare -A AUTH_PATH AUTH_HEADER
setup_auth() { # name dir
    local name=$1 dir=$2 kind=${1##*-auth}
    AUTH_HEADER[$name]=""
    case $kind in
        lambda) AUTH_PATH[$name]=/prod/authz-lambda; AUTH_HEADER[$name]="Authorization: allow" ;;
        jwt|jwt0) AUTH_PATH[$name]=/prod/authz-$kind; AUTH_HEADER[$name]="Authorization: $(cat "$WORK/id-token")" ;;
        iam) AUTH_PATH[$name]=$("$PYTHON" "$HERE/auth_material.py" presign "$WORK" "$TG_LISTEN") ;;
    esac
    local hdr=(); [ -n "${AUTH_HEADER[$name]}" ] && hdr=(-H "${AUTH_HEADER[$name]}")
    curl -sSf "${hdr[@]}" "http://$TG_LISTEN${AUTH_PATH[$name]}" | grep -q bench-backend \
        || { log "$name: the authorized route does not answer"; cat "$dir/stderr" >&2; return 1; }
}

# The Tollgate targets, one "NAME DRIVER BINARY" per line; BASELINE=path adds an older build with
# the same drivers to the same interleaved rounds.
tollgate_targets() {
    for d in $DRIVERS; do echo "tollgate-$d $d $TOLLGATE"; done
    if [ "${MAPPED:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-mapped $d $TOLLGATE"; done
    fi
    if [ "${LAMBDA:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-lambda $d $TOLLGATE"; done
    fi
    if [ "${KEYED:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-keyed $d $TOLLGATE"; done
    fi
    if [ "${HTTPS:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-https $d $TOLLGATE"; done
    fi
    if [ "${AUTH:-0}" = 1 ]; then
        for k in ${AUTH_KINDS:-lambda jwt jwt0 iam}; do
            for d in $DRIVERS; do echo "tollgate-$d-auth$k $d $TOLLGATE"; done
        done
    fi
    if [ "${CACHE:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-cache $d $TOLLGATE"; done
    fi
    if [ "${WAF:-0}" = 1 ]; then
        for d in $DRIVERS; do echo "tollgate-$d-waf $d $TOLLGATE"; done
    fi
    if [ -n "${BASELINE:-}" ]; then
        for d in $DRIVERS; do echo "baseline-$d $d $BASELINE"; done
    fi
}

# run_wrk NAME URL PID(or -) ROUND
run_wrk() {
    local name=$1 url=$2 pid=$3 round=$4 out=$WORK/wrk-$1-$4.txt
    local before=0 after=0
    [ "$pid" != - ] && before=$(cpu_ticks "$pid")
    local script=()
    [[ $name == *-mapped ]] && script=(-s "$HERE/post.lua")
    [[ $name == *-keyed ]] && script=(-H "x-api-key: $BENCH_KEY")
    [[ $name == *-auth* && -n ${AUTH_HEADER[$name]:-} ]] && script=(-H "${AUTH_HEADER[$name]}")
    timeout $((DURATION + 30)) taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${script[@]}" "$url" >"$out"
    [ "$pid" != - ] && after=$(cpu_ticks "$pid")
    local reqs rps p50 p99 bad
    reqs=$(awk '/requests in/ {print $1}' "$out")
    rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
    bad=$(awk '/Non-2xx/ {print $NF}' "$out"); bad=${bad:-0}
    [ "$bad" = 0 ] || log "warning: $name round $round had $bad non-2xx responses"
    grep -q "Socket errors" "$out" && log "warning: $name round $round: $(grep 'Socket errors' "$out")"
    local cpu=NA
    if [ "$pid" != - ] && [ "${reqs:-0}" -gt 0 ]; then
        cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$rps" "$p50" "$p99" "$cpu" >>"$WORK/results.tsv"
    log "$(printf '%-16s round %s: %10s req/s  p50 %8s us  p99 %8s us  cpu %6s us/req' "$name" "$round" "$rps" "$p50" "$p99" "$cpu")"
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

machine_info() {
    echo "- machine: $(uname -srm), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "- $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), date $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds interleaved; medians shown"
}

# --- wrk mode ------------------------------------------------------------------------------------
if [ "$MODE" = wrk ]; then
    start_backend
    start_nginx_proxy
    declare -A TG_PIDS TG_URLS
    TG_NAMES=()
    while read -r name driver bin; do
        start_tollgate "$name" "$driver" "$bin"
        path=bench; [[ $name == *-mapped ]] && path=mapped; [[ $name == *-lambda ]] && path=lambda; [[ $name == *-https ]] && path=tls; [[ $name == *-keyed ]] && path=keyed
        TG_NAMES+=("$name"); TG_PIDS[$name]=$TG_PID; TG_URLS[$name]="http://$TG_LISTEN/prod/$path"
        [[ $name == *-waf ]] && TG_URLS[$name]+=$WAF_QUERY
        [[ $name == *-auth* ]] && TG_URLS[$name]="http://$TG_LISTEN${AUTH_PATH[$name]}"
    done < <(tollgate_targets)
    : >"$WORK/results.tsv"
    log "warm-up"
    timeout 20 taskset -c 0 wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$NGINX_PORT/prod/bench" >/dev/null
    if [ "${CACHE:-0}" = 1 ]; then
        timeout 20 taskset -c 0 wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$NGINX_PORT/prod/cached" >/dev/null
        curl -sS -D - -o /dev/null "http://127.0.0.1:$NGINX_PORT/prod/cached" | grep -qi 'X-Cache-Status: HIT' \
            || { log "nginx-cache does not serve from its cache"; exit 1; }
    fi
    for name in "${TG_NAMES[@]}"; do
        script=(); [[ $name == *-mapped ]] && script=(-s "$HERE/post.lua")
        [[ $name == *-keyed ]] && script=(-H "x-api-key: $BENCH_KEY")
        [[ $name == *-auth* && -n ${AUTH_HEADER[$name]:-} ]] && script=(-H "${AUTH_HEADER[$name]}")
        timeout 20 taskset -c 0 wrk -t1 -c"$CONNS" -d2s "${script[@]}" "${TG_URLS[$name]}" >/dev/null
    done
    for round in $(seq "$ROUNDS"); do
        run_wrk backend-direct "http://127.0.0.1:$BACKEND_PORT/bench" - "$round"
        run_wrk nginx "http://127.0.0.1:$NGINX_PORT/prod/bench" "$NGINX_PID" "$round"
        if [ "${HTTPS:-0}" = 1 ]; then
            run_wrk nginx-https "http://127.0.0.1:$NGINX_PORT/prod/tls" "$NGINX_PID" "$round"
        fi
        if [ "${CACHE:-0}" = 1 ]; then
            run_wrk nginx-cache "http://127.0.0.1:$NGINX_PORT/prod/cached" "$NGINX_PID" "$round"
        fi
        for name in "${TG_NAMES[@]}"; do
            run_wrk "$name" "${TG_URLS[$name]}" "${TG_PIDS[$name]}" "$round"
        done
    done

    col() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n && $c != "NA" {print $c}' "$WORK/results.tsv" | median; }
    nginx_rps=$(col nginx 3); nginx_p99=$(col nginx 5); nginx_cpu=$(col nginx 6)
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "NA" || b == "NA" || b == 0) print "-"; else printf "%.2fx", a / b}'; }
    echo
    machine_info
    echo
    echo "| target | req/s | p50 (us) | p99 (us) | proxy CPU us/req | req/s vs nginx | p99 vs nginx | CPU/req vs nginx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    EXTRA_NGINX=(); [ "${HTTPS:-0}" = 1 ] && EXTRA_NGINX=(nginx-https)
    [ "${CACHE:-0}" = 1 ] && EXTRA_NGINX+=(nginx-cache)
    for name in backend-direct nginx "${EXTRA_NGINX[@]}" "${TG_NAMES[@]}"; do
        rps=$(col "$name" 3); p50=$(col "$name" 4); p99=$(col "$name" 5); cpu=$(col "$name" 6)
        if [ "$name" = backend-direct ]; then
            echo "| $name | $rps | $p50 | $p99 | - | - | - | - |"
        else
            echo "| $name | $rps | $p50 | $p99 | $cpu | $(ratio "$rps" "$nginx_rps") | $(ratio "$p99" "$nginx_p99") | $(ratio "$cpu" "$nginx_cpu") |"
        fi
    done
    if [ "${MAPPED:-0}" = 1 ]; then
        echo
        echo "| mapped route (validator + request template) vs plain proxy, same driver | req/s | CPU/req |"
        echo "|---|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-mapped" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-mapped" 6)" "$(col "tollgate-$d" 6)") |"
        done
    fi
    if [ "${HTTPS:-0}" = 1 ]; then
        echo
        echo "| HTTPS backend, same driver | req/s vs plain HTTP | CPU/req vs plain HTTP | req/s vs nginx-https | CPU/req vs nginx-https |"
        echo "|---|---:|---:|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-https" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-https" 6)" "$(col "tollgate-$d" 6)") | $(ratio "$(col "tollgate-$d-https" 3)" "$(col nginx-https 3)") | $(ratio "$(col "tollgate-$d-https" 6)" "$(col nginx-https 6)") |"
        done
    fi
    if [ "${KEYED:-0}" = 1 ]; then
        echo
        echo "| keyed, throttled route (API key + plan, stage and account buckets) vs plain proxy, same driver | req/s | CPU/req |"
        echo "|---|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-keyed" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-keyed" 6)" "$(col "tollgate-$d" 6)") |"
        done
    fi
    if [ "${AUTH:-0}" = 1 ]; then
        echo
        echo "| authorized route vs plain proxy, same driver | req/s | CPU/req |"
        echo "|---|---:|---:|"
        for k in ${AUTH_KINDS:-lambda jwt jwt0 iam}; do
            for d in $DRIVERS; do
                echo "| $k ($d) | $(ratio "$(col "tollgate-$d-auth$k" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-auth$k" 6)" "$(col "tollgate-$d" 6)") |"
            done
        done
    fi
    if [ "${CACHE:-0}" = 1 ]; then
        echo
        echo "| stage cache hit, same driver | req/s vs nginx-cache | CPU/req vs nginx-cache (target <= 0.60x) | req/s vs plain proxy | CPU/req vs plain proxy |"
        echo "|---|---:|---:|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-cache" 3)" "$(col nginx-cache 3)") | $(ratio "$(col "tollgate-$d-cache" 6)" "$(col nginx-cache 6)") | $(ratio "$(col "tollgate-$d-cache" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-cache" 6)" "$(col "tollgate-$d" 6)") |"
        done
    fi
    if [ "${WAF:-0}" = 1 ]; then
        echo
        echo "| ten-rule web ACL + access log vs plain proxy, same driver | req/s (target >= 0.85x) | CPU/req |"
        echo "|---|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-waf" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-waf" 6)" "$(col "tollgate-$d" 6)") |"
        done
    fi
    if [ "${LAMBDA:-0}" = 1 ]; then
        echo
        echo "| Lambda proxy route (stub function) vs plain proxy, same driver | req/s | CPU/req |"
        echo "|---|---:|---:|"
        for d in $DRIVERS; do
            echo "| $d | $(ratio "$(col "tollgate-$d-lambda" 3)" "$(col "tollgate-$d" 3)") | $(ratio "$(col "tollgate-$d-lambda" 6)" "$(col "tollgate-$d" 6)") |"
        done
    fi
    exit 0
fi

# --- callgrind mode: userspace instructions per request -----------------------------------------
# Each proxy runs under callgrind; after a warm-up the counters are zeroed, a fixed-duration wrk
# run is made, and the dump's total Ir is divided by the requests wrk completed.
CG_DURATION=${CG_DURATION:-5}
command -v callgrind_control >/dev/null || { log "callgrind_control missing (valgrind package)"; exit 1; }
start_backend

callgrind_ir() { # name pid url [dump-prefix]
    local name=$1 pid=$2 url=$3 out=$WORK/cg-wrk-$1.txt script=() prefix=${4:-$1}
    [[ $name == *-mapped ]] && script=(-s "$HERE/post.lua")
    [[ $name == *-keyed ]] && script=(-H "x-api-key: $BENCH_KEY")
    [[ $name == *-auth* && -n ${AUTH_HEADER[$name]:-} ]] && script=(-H "${AUTH_HEADER[$name]}")
    timeout 60 taskset -c 0 wrk -t1 -c4 -d2s "${script[@]}" "$url" >/dev/null
    callgrind_control -z "$pid" >/dev/null
    timeout $((CG_DURATION + 60)) taskset -c 0 wrk -t1 -c4 -d"${CG_DURATION}s" "${script[@]}" "$url" >"$out"
    callgrind_control -d "$pid" >/dev/null
    sleep 1
    local reqs dump ir
    reqs=$(awk '/requests in/ {print $1}' "$out")
    dump=$(ls -t "$WORK"/callgrind.out."$prefix".* | head -1)
    ir=$(awk '/^(summary|totals):/ {print $2}' "$dump" | tail -1)
    awk -v ir="$ir" -v n="$reqs" -v name="$name" 'BEGIN {printf "| %s | %d | %d | %.0f |\n", name, n, ir, ir / n}'
}

VG=(valgrind --tool=callgrind --dump-instr=no --collect-atstart=yes --compress-strings=no --compress-pos=no)
echo
machine_info
echo "- callgrind: wrk -t1 -c4 -d${CG_DURATION}s after a 2 s warm-up, counters zeroed in between"
echo
echo "| proxy | requests | instructions (Ir) | Ir per request |"
echo "|---|---:|---:|---:|"
start_nginx_proxy "${VG[@]}" --callgrind-out-file="$WORK/callgrind.out.nginx.%p"
callgrind_ir nginx "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/prod/bench"
if [ "${CACHE:-0}" = 1 ]; then
    # The same nginx process, its cache filled by the warm-up: the dump counts cache hits only.
    callgrind_ir nginx-cache "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/prod/cached" nginx
fi
while read -r name driver bin; do
    start_tollgate "$name" "$driver" "$bin" "${VG[@]}" --callgrind-out-file="$WORK/callgrind.out.$name.%p"
    path=bench; [[ $name == *-mapped ]] && path=mapped; [[ $name == *-lambda ]] && path=lambda; [[ $name == *-https ]] && path=tls; [[ $name == *-keyed ]] && path=keyed
    url="http://$TG_LISTEN/prod/$path"; [[ $name == *-auth* ]] && url="http://$TG_LISTEN${AUTH_PATH[$name]}"
    [[ $name == *-waf ]] && url+=$WAF_QUERY
    callgrind_ir "$name" "$TG_PID" "$url"
done < <(tollgate_targets)
