#!/usr/bin/env bash
# API benchmark (issue 14: at 200,000 projects, 64 connections, on SQLite and PostgreSQL:
# project(code) with unit and last 12 progress months ≥ 8,000 req/s with p99 < 25 ms; the
# 50-project page with totalCount ≥ 1,000 req/s with p99 < 100 ms).
#
# Method: the release binary serves the demo district of BENCH_PROJECTS projects
# (default 200,000; `zhaoshang demo --projects N`) in production mode on 127.0.0.1, from
# the SQLite file BENCH_DB (default /tmp/zhaoshang-bench-N.db) or from the database
# BENCH_URL names (e.g. postgres://postgres@127.0.0.1:5432/zhaoshang_api_200000; created
# by the caller, the district imported when it has no projects; then vacuumed, analyzed
# and checkpointed). Once /readyz says the
# server is ready and its read snapshot built (`"readSnapshot":"ok"`: the snapshot is
# built after the frames, paced, and the graph reads SQL until then), wrk (Debian's package) sends
# one query over 64 connections with 2 threads for 20 s after a 5 s warm-up;
# benches/graphql.lua counts responses that are not 200 or hold "errors". Server and load
# generator share the machine's 2 cores. CARGO_TARGET_DIR is honoured; BENCH_BIN names an
# already built release binary instead. Measure `cargo build --release`'s: the binary a
# `cargo bench` build leaves in release/ has the dev-dependencies' features and served
# 37 % fewer `project(code)` requests on one machine (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${BENCH_PROJECTS:-200000}"
DB="${BENCH_DB:-/tmp/zhaoshang-bench-$N.db}"
URL="${BENCH_URL:-sqlite://$DB?mode=rwc}"
BIN="${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/zhaoshang}"
PORT=18181
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 1; }
[ -n "${BENCH_BIN:-}" ] || cargo build --release --locked --quiet
case "$URL" in
  postgres*) count() { psql -qtA "${URL%%\?*}" -c "$1" 2>/dev/null || echo 0; } ;;
  *) count() { [ -f "$DB" ] && python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$DB" "$1" || echo 0; } ;;
esac
if [ "$(count 'select count(*) from projects')" = 0 ]; then
  "$BIN" --database-url "$URL" demo --projects "$N"
fi
# PostgreSQL settled after the import, so that autovacuum and the checkpoint it starts
# do not run on the same two cores during the measurement.
case "$URL" in postgres*) psql -qtA "${URL%%\?*}" -c 'VACUUM ANALYZE' -c 'CHECKPOINT' >/dev/null ;; esac
TOKEN=$("$BIN" --database-url "$URL" token create --role analyst --name "bench-$$" 2>/dev/null)
"$BIN" --database-url "$URL" serve --addr "127.0.0.1:$PORT" --production >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; "$BIN" --database-url "$URL" token revoke "bench-$$" >/dev/null' EXIT
# Not `curl | grep -q`: under pipefail a curl cut off by grep's early exit fails the test.
for _ in $(seq 1 1500); do [[ "$(curl -s "http://127.0.0.1:$PORT/readyz")" == *'"readSnapshot":"ok"'* ]] && break; sleep 0.2; done
CODE=$(count 'select code from projects where started_date is not null order by code limit 1 offset 1000')
BODY=$(mktemp)
run() {
  printf '%s' "$2" > "$BODY"
  wrk -t2 -c64 -d5s -s benches/graphql.lua "http://127.0.0.1:$PORT/graphql" -- "$TOKEN" "$BODY" >/dev/null
  echo "== $1"
  wrk -t2 -c64 -d20s --latency -s benches/graphql.lua "http://127.0.0.1:$PORT/graphql" -- "$TOKEN" "$BODY" | tail -n 1
}
echo "$N projects, $URL"
run "project(code) with unit and last 12 progress months" \
  "{\"query\":\"{ project(code: \\\"$CODE\\\") { code name totalInvestmentWan stage unit { code name } progress(last: 12) { period faiWan fundsArrivedWan } } }\"}"
run "a 50-project page with unit, industry and investor" \
  '{"query":"{ projects(first: 50, after: \"p999\") { totalCount nodes { code name totalInvestmentWan unit { name } industry { name cluster } investor { name origin } } } }"}'
