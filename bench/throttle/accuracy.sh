#!/usr/bin/env bash
# Throttle accuracy: drives a MOCK route well above its stage throttle with wrk for DURATION
# seconds against a release tollgate with 2 workers, and reports
#   admitted / (burst + rate x seconds)
# for a large limit, a small one, burst 1, and a large one over a single connection (every
# request on one worker). Exact is 1.000; the design bound (src/core/throttle/mod.rs) is
# one-sided: never above 1, below by at most workers x (block - 1) tokens.
#
#   bench/throttle/accuracy.sh                  # 10 s per case
#   DURATION=5 NO_BUILD=1 bench/throttle/accuracy.sh
# Everything binds 127.0.0.1; every process started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
DURATION=${DURATION:-10}
PORT=${PORT:-18091}
ADMIN_PORT=${ADMIN_PORT:-18092}
WORK=$(mktemp -d /tmp/tollgate-throttle.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '%s\n' "$*" >&2; }

command -v wrk >/dev/null || { log "installing wrk"; sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo;
    $sudo_ apt-get update -qq; DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq wrk >/dev/null; }
AWS=${AWS:-$ROOT/.venv/bin/aws}
[ -x "$AWS" ] || AWS=aws
if [ "${NO_BUILD:-0}" != 1 ]; then cargo build --release --bin tollgate >&2; fi
TOLLGATE=${TOLLGATE:-$ROOT/target/release/tollgate}

cat >"$WORK/api.yaml" <<'YAML'
openapi: 3.0.1
info: {title: throttled, version: '1'}
paths:
  /t:
    get:
      responses: {'200': {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: '200'}}
YAML
cat >"$WORK/tollgate.toml" <<TOML
[[admin.credentials]]
access_key_id = "AKIDTHROTTLEBENCH000"
secret_access_key = "throttle-bench-secret"
[admin]
rate_limit_per_second = 0
[throttling]
account_rate_limit = 1000000.0
account_burst_limit = 1000000
[[apis]]
file = "api.yaml"
id = "throttle01"
[[apis.stages]]
name = "prod"
TOML
"$TOLLGATE" run --config "$WORK/tollgate.toml" --listen 127.0.0.1:$PORT \
    --admin 127.0.0.1:$ADMIN_PORT --data-dir "$WORK/data" --workers 2 \
    >"$WORK/out.log" 2>"$WORK/err.log" &
PID=$!
for _ in $(seq 100); do grep -q '^ready ' "$WORK/out.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=AKIDTHROTTLEBENCH000 AWS_SECRET_ACCESS_KEY=throttle-bench-secret \
    AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

printf '%-34s %8s %8s %10s %10s %8s\n' case rate burst admitted ideal ratio
run_case() { # name rate burst threads conns
    local name=$1 rate=$2 burst=$3 threads=$4 conns=$5
    "$AWS" --endpoint-url "http://127.0.0.1:$ADMIN_PORT" apigateway update-stage \
        --rest-api-id throttle01 --stage-name prod --patch-operations \
        "op=replace,path=/*/*/throttling/rateLimit,value=$rate" \
        "op=replace,path=/*/*/throttling/burstLimit,value=$burst" >/dev/null
    local out ok secs
    out=$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" -s "$ROOT/bench/throttle/count.lua" \
        -H 'Host: throttle01.execute-api.local' "http://127.0.0.1:$PORT/prod/t" 2>&1)
    ok=$(sed -n 's/^RESULT ok=\([0-9]*\).*/\1/p' <<<"$out")
    # wrk's own elapsed time (a little over -d): the window tokens refilled in.
    secs=$(sed -n 's/.* requests in \([0-9.]*\)s,.*/\1/p' <<<"$out")
    awk -v n="$name" -v r="$rate" -v b="$burst" -v ok="$ok" -v d="$secs" 'BEGIN {
        ideal = b + r * d; printf "%-34s %8s %8s %10d %10.0f %8.3f\n", n, r, b, ok, ideal, ok / ideal }'
}
run_case "large (100 conns, 2 workers)" 2000 1000 2 100
run_case "small (100 conns)" 20 10 2 100
run_case "burst 1 (100 conns)" 5 1 2 100
run_case "large, one connection (1 worker)" 2000 1000 1 1
