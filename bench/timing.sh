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
awk '{k=$2" "$3; v[$1" "k]=v[$1" "k]" "$4; keys[k]=1}
END {
	printf "%-28s %10s %10s %7s\n", "case ('"$quality"')", "base ms", "head ms", "ratio"
	for (k in keys) {
		nb=split(v["base " k], b, " "); nh=split(v["head " k], h, " ")
		asort(b); asort(h)
		mb=b[int((nb+1)/2)]; mh=h[int((nh+1)/2)]
		printf "%-28s %10.1f %10.1f %7.2f\n", k, mb, mh, mh/mb
	}
}' "$tmp/out" | sort
