#!/usr/bin/env bash
# Compares Generate's time per mode at one quality level between a base commit and the working
# tree, interleaved (base, head, base, head, ...) so that the machine's load hits both alike,
# and prints each case's median over the rounds and the ratio head/base.
#
#   bash bench/timing.sh [BASE_COMMIT [ROUNDS [QUALITY]]]     (default: b916e19, 5, standard)
set -euo pipefail
base=${1:-b916e19}
rounds=${2:-5}
quality=${3:-standard}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$base" | tar -x -C "$tmp"
mkdir -p "$tmp/bench/timing"
cp "$root/bench/timing/main.go" "$tmp/bench/timing/"
(cd "$tmp" && go build -o "$tmp/base.bin" ./bench/timing)
(cd "$root" && go build -o "$tmp/head.bin" ./bench/timing)
for r in $(seq "$rounds"); do
	"$tmp/base.bin" -n 3 -quality "$quality" -images "$root/testdata/images" | sed 's/^/base /' >>"$tmp/out"
	"$tmp/head.bin" -n 3 -quality "$quality" -images "$root/testdata/images" | sed 's/^/head /' >>"$tmp/out"
done
python3 - "$tmp/out" "$quality" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    who, img, mode, ms = line.split()
    rows.setdefault((img, mode), {}).setdefault(who, []).append(float(ms))
print(f"{'case (' + sys.argv[2] + ')':28} {'base ms':>10} {'head ms':>10} {'ratio':>7}")
for k in sorted(rows):
    b, h = statistics.median(rows[k]['base']), statistics.median(rows[k]['head'])
    print(f"{k[0] + ' ' + k[1]:28} {b:10.1f} {h:10.1f} {h / b:7.2f}")
PY
