#!/usr/bin/env bash
# API benchmark (issue: project(code) with unit and last 12 progress months ≥ 5,000 req/s
# with p99 < 25 ms; a 50-project page with relations ≥ 1,000 req/s; 64 connections).
#
# Method: the release binary serves a 100,000-project demo district in SQLite
# (`zhaoshang demo --projects 100000`) in production mode on 127.0.0.1; wrk (Debian's
# package) sends one query over 64 connections with 2 threads for 20 s after a 5 s
# warm-up; benches/graphql.lua counts responses that are not 200 or hold "errors".
# Server and load generator share the machine's 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${BENCH_DB:-/tmp/zhaoshang-bench-100k.db}"
URL="sqlite://$DB?mode=rwc"
BIN=target/release/zhaoshang
PORT=18181
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 1; }
cargo build --release --quiet
[ -f "$DB" ] || "$BIN" --database-url "$URL" demo --projects 100000
TOKEN=$("$BIN" --database-url "$URL" token create --role analyst --name "bench-$$" 2>/dev/null)
"$BIN" --database-url "$URL" serve --addr "127.0.0.1:$PORT" --production --site /nonexistent >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; "$BIN" --database-url "$URL" token revoke "bench-$$" >/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
CODE=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select code from projects where started_date is not null order by code limit 1 offset 1000').fetchone()[0])" "$DB")
BODY=$(mktemp)
run() {
  printf '%s' "$2" > "$BODY"
  wrk -t2 -c64 -d5s -s benches/graphql.lua "http://127.0.0.1:$PORT/graphql" -- "$TOKEN" "$BODY" >/dev/null
  echo "== $1"
  wrk -t2 -c64 -d20s --latency -s benches/graphql.lua "http://127.0.0.1:$PORT/graphql" -- "$TOKEN" "$BODY" | tail -n 1
}
run "project(code) with unit and last 12 progress months" \
  "{\"query\":\"{ project(code: \\\"$CODE\\\") { code name totalInvestmentWan stage unit { code name } progress(last: 12) { period faiWan fundsArrivedWan } } }\"}"
run "a 50-project page with unit, industry and investor" \
  '{"query":"{ projects(first: 50, after: \"p999\") { totalCount nodes { code name totalInvestmentWan unit { name } industry { name cluster } investor { name origin } } } }"}'
