#!/usr/bin/env bash
# Issue 20, inflate: times Generate + GLB encoding of one image in inflate mode at ultra, between
# a base commit and the working tree, interleaved (base, head, base, head, ...), one process per
# run so that each peak RSS is its own, and prints per case the medians of the rounds: wall time
# (ms), CPU time (user + system, ms: steadier than wall time where other work shares the
# machine), peak RSS (MiB), faces, and the ratios head/base. Cases: coffee.png as it is (600 × 400 px), and
# resized (Catmull-Rom) to 512, 1024, 2048 and 4096 px on the longest side, at GOMAXPROCS=2
# and 1.
#
#   bash bench/inflate.sh [BASE_COMMIT [ROUNDS [IMAGE]]]      (default: main, 5, testdata coffee.png)
#
# SIZES (default "0 512 1024 2048 4096"; 0 is the image as it is), PROCS (default "2 1"), MODE
# (default inflate) and QUALITY (default ultra) choose other cases, e.g. issue 14's standard rows:
#   SIZES=0 PROCS=2 QUALITY=standard bash bench/inflate.sh b916e19 7 testdata/images/bison.png
set -euo pipefail
base=${1:-main}
rounds=${2:-5}
root=$(git rev-parse --show-toplevel)
image=${3:-$root/testdata/images/coffee.png}
sizes=${SIZES:-0 512 1024 2048 4096}
procs=${PROCS:-2 1}
mode=${MODE:-inflate}
quality=${QUALITY:-ultra}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$base" | tar -x -C "$tmp"
mkdir -p "$tmp/bench/inflate"
cp "$root"/bench/inflate/*.go "$tmp/bench/inflate/"
(cd "$tmp" && go build -o "$tmp/base.bin" ./bench/inflate)
(cd "$root" && go build -o "$tmp/head.bin" ./bench/inflate)
for s in $sizes; do
	"$tmp/head.bin" -size "$s" -image "$image" -write "$tmp/in-$s.png"
done
for r in $(seq "$rounds"); do
	for p in $procs; do
		for s in $sizes; do
			for who in base head; do
				echo "$who $p $s $(GOMAXPROCS=$p "$tmp/$who.bin" -n 1 -image "$tmp/in-$s.png" -mode "$mode" -quality "$quality")" >>"$tmp/out"
			done
		done
	done
done
python3 - "$tmp/out" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    who, p, s, ms, cpu, rss, faces = line.split()
    rows.setdefault((int(p), int(s)), {}).setdefault(who, []).append((float(ms), float(cpu), float(rss), int(faces)))
print(f"{'procs size':13} {'base ms':>8} {'head ms':>8} {'ratio':>6} {'base cpu':>9} {'head cpu':>9} {'ratio':>6} {'base MiB':>9} {'head MiB':>9} {'ratio':>6} {'base faces':>11} {'head faces':>11}")
for k in sorted(rows, key=lambda k: (-k[0], k[1])):
    med = lambda who, i: statistics.median(v[i] for v in rows[k][who])
    bt, ht, bc, hc, bm, hm = med('base', 0), med('head', 0), med('base', 1), med('head', 1), med('base', 2), med('head', 2)
    size = 'as is' if k[1] == 0 else f'{k[1]} px'
    print(f"{k[0]:<2} {size:10} {bt:8.1f} {ht:8.1f} {ht / bt:6.2f} {bc:9.1f} {hc:9.1f} {hc / bc:6.2f} {bm:9.0f} {hm:9.0f} {hm / bm:6.2f} {rows[k]['base'][0][3]:11d} {rows[k]['head'][0][3]:11d}")
PY
