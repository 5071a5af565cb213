#!/usr/bin/env bash
# The figures of issue 19 (the server on NATS JetStream), on this machine, over loopback:
#   1. 200 draft generations of a small image from 20 clients, on the single-machine server and on
#      a cluster of 2 front ends and 3 workers (one worker SIGKILLed and restarted a third of the
#      way through), interleaved, ROUNDS rounds: throughput, p50 and p99 of generate → completed;
#   2. the same load on 1, 2 and 4 worker processes behind one front end, interleaved.
# Every process is a real server binary; NATS is the module's nats-server in the test process on
# a loopback port, or the binary $ORFEAS_NATS_SERVER names.
# Usage: bench/nats/cluster.sh [rounds]   (run from the repository root; default 3 rounds)
set -euo pipefail
rounds=${1:-3}
echo "== $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 200 jobs, 20 clients: local single-machine server vs 2 front ends + 3 workers ($rounds rounds)"
ORFEAS_E2E_CLUSTER=1 ORFEAS_E2E_COMPARE=1 ORFEAS_E2E_ROUNDS=$rounds go test -count=1 -timeout 60m -run '^TestNATSLoad$' -v ./examples/server/ |
  grep -E 'e2e_nats_test.go|^(ok|FAIL|---)'
echo "== 200 jobs, 20 clients, one front end: 1, 2, 4 workers ($rounds rounds)"
ORFEAS_E2E_SCALING=1 ORFEAS_E2E_ROUNDS=$rounds go test -count=1 -timeout 60m -run '^TestNATSScaling$' -v ./examples/server/ |
  grep -E 'e2e_nats_test.go|^(ok|FAIL|---)'
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
