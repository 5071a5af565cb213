#!/usr/bin/env bash
# Measures the figures of examples/server over loopback:
#   1. GET /api/health latency at 1,000 requests/s for 10 s (bench/serverload, open loop), and
#      wrk's closed-loop latency distribution when wrk is installed (Debian: apt-get install wrk);
#   2. 100 concurrent generate requests at draft quality on one image: all complete, none lost,
#      time to drain.
# Usage: bench/server.sh [port]   (run from the repository root)
set -euo pipefail
port=${1:-5000}
base=http://127.0.0.1:$port
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/server" ./examples/server
go build -o "$work/serverload" ./bench/serverload
# Rate limit off (one client sends everything); queue large enough for 100 jobs; logs at warn so
# that the terminal is not the bottleneck.
"$work/server" -addr 127.0.0.1:$port -data "$work/data" -rate-limit 0 -queue 128 -log-level warn > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
echo "== server: $(cat "$work/out"); $(nproc) CPUs"

echo "== GET /api/health at 1,000 req/s for 10 s (open loop)"
"$work/serverload" -mode health -url "$base" -rate 1000 -duration 10s
if command -v wrk > /dev/null; then
  echo "== wrk --latency -t2 -c10 -d10s (closed loop, as fast as it goes)"
  wrk --latency -t2 -c10 -d10s "$base/api/health"
fi
echo "== 100 concurrent generate requests, draft quality"
"$work/serverload" -mode generate -url "$base" -n 100 -image testdata/images/horse.png -quality draft -format stl
