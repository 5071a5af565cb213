#!/bin/sh
# Compares mesh.Simplify with meshoptimizer's simplifier (npm meshoptimizer@1.3.0, wasm) on the
# marching-cubes mesh of the 448³ rippled sphere (about 955,000 triangles), down to 10%.
# Prints the time of each and the deviation of each result from the input, measured the same way
# (mesh.SurfaceDeviation). Not run in CI. Needs Go and Node.js; installs meshoptimizer into
# .tools/ on first use.
#
#   bench/simplify.sh [grid size, default 448] [ratio, default 0.1]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-448}
ratio=${2:-0.1}
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
"$work/simplifybench" write -n "$n" -o "$work/in.bin"
node "$root/bench/meshopt_simplify.mjs" "$mod" "$work/in.bin" "$ratio" "$work/mo.bin" 3
"$work/simplifybench" compare -in "$work/in.bin" -ratio "$ratio" -runs 3 -meshopt "$work/mo.bin"
