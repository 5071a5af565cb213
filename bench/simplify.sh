#!/bin/sh
# Compares mesh.Simplify with meshoptimizer's simplifier (npm meshoptimizer@1.3.0, wasm) on the
# marching-cubes mesh of the 448³ rippled sphere (about 955,000 triangles), down to 10%.
# Interleaved: ROUNDS rounds (default 5), each running meshoptimizer (node, 3 runs in one process,
# after one warm-up inside the same loop) then orfeas (3 runs) at GOMAXPROCS = all cores, then
# orfeas at GOMAXPROCS=1, then both again with SkipDeviation (rows orfeas-nodev and
# orfeas-nodev-1core: the same simplification without the deviation measure, which meshoptimizer
# does not make either); prints every round's median wall and CPU seconds and, at the end, the
# medians over the rounds and the ratios orfeas / meshopt. Also prints the deviation of each
# result from the input, measured the same way (mesh.SurfaceDeviation). Not run in CI. Needs Go
# and Node.js; installs meshoptimizer into .tools/ on first use. With BASE set to a commit, the
# simplifybench of that commit runs too, in the same rounds (rows orfeas-base, orfeas-base-1core),
# for before/after figures on the same load.
#
#   bench/simplify.sh [grid size, default 448] [ratio, default 0.1]     (ROUNDS=5, BASE=)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-448}
ratio=${2:-0.1}
rounds=${ROUNDS:-5}
tools="$root/.tools"
mod="$tools/node_modules/meshoptimizer"
if [ ! -f "$mod/meshopt_simplifier.js" ]; then
	mkdir -p "$tools"
	(cd "$tools" && npm install --no-audit --no-fund --silent meshoptimizer@1.3.0)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
go build -o "$work/simplifybench" ./bench/simplifybench
if [ -n "${BASE:-}" ]; then
	mkdir "$work/base"
	git -C "$root" archive "$BASE" | tar -x -C "$work/base"
	(cd "$work/base" && go build -o "$work/simplifybench-base" ./bench/simplifybench)
fi
"$work/simplifybench" write -n "$n" -o "$work/in.bin"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	node "$root/bench/meshopt_simplify.mjs" "$mod" "$work/in.bin" "$ratio" "$work/mo.bin" 4 | tee -a "$work/log"
	"$work/simplifybench" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 -meshopt "$work/mo.bin" | tee -a "$work/log"
	GOMAXPROCS=1 "$work/simplifybench" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 | sed 's/^TIME orfeas/TIME orfeas-1core/' | tee -a "$work/log"
	"$work/simplifybench" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 -skip-deviation | sed 's/^TIME orfeas/TIME orfeas-nodev/' | tee -a "$work/log"
	GOMAXPROCS=1 "$work/simplifybench" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 -skip-deviation | sed 's/^TIME orfeas/TIME orfeas-nodev-1core/' | tee -a "$work/log"
	if [ -n "${BASE:-}" ]; then
		"$work/simplifybench-base" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 | sed 's/^TIME orfeas/TIME orfeas-base/' | tee -a "$work/log"
		GOMAXPROCS=1 "$work/simplifybench-base" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 | sed 's/^TIME orfeas/TIME orfeas-base-1core/' | tee -a "$work/log"
	fi
	echo "== load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "== medians over $rounds rounds (seconds; ratio to meshopt)"
grep '^TIME ' "$work/log" | awk '{ w[$2] = w[$2] " " $3; c[$2] = c[$2] " " $4 }
	function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
	END { mw = med(w["meshopt"]); mc = med(c["meshopt"]);
	      for (k in w) printf "%-14s wall %.3f s (%.2f×)  CPU %.3f s (%.2f×)\n", k, med(w[k]), med(w[k]) / mw, med(c[k]), med(c[k]) / mc }' | sort
