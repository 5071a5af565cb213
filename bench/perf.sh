#!/usr/bin/env bash
# bench/perf.sh: issue 20's figures (relief against fogleman/hmm, the relief scaling table,
# simplify against meshoptimizer, marching cubes against scikit-image, astronaut end to end),
# each anchor run in this script beside orfeas, interleaved, medians, wall and CPU time, and
# GOMAXPROCS=1 beside all cores.
#
#   bash bench/perf.sh [all|relief|scaling|e2e|simplify|mc ...]     (default all)
#
# Environment: ROUNDS (default 5), BASE (the commit "before" is built from; default the merge
# base with main), HMM_SRC (a clone of github.com/fogleman/hmm; default the local mirror when
# there is one, else GitHub), SIZES (scaling, default "512 1024 2048 4096").
#
# relief: camera.png auto-levelled and enlarged bilinearly (corners aligned) to 1024² as a 16-bit
# grey PNG by bench/perf (deterministic). hmm 5ea6114, built -O3 -march=native -flto (its own
# Makefile; needs g++ and libglm-dev), runs `hmm IN OUT.stl -z 51.2 -e 0.01 --level -b 0.4`:
# heights 0..51.2 in pixel units, max error 1 % of that, a base 0.4 × 51.2 below. orfeas runs the
# same flags read the same way as one whole process too (`perf relief`: decode the PNG, auto-level,
# cpu backend relief with 1 px = 1 mm, depth 51.2, base 20.48, tolerance 0.512 mm, no face
# budget, binary STL). Both outputs' max error is then measured by one program (`perf error`)
# against the auto-levelled height map at every pixel. The img2mesh CLI's line is the
# generator's whole pipeline on that input (-quality high, tolerance 0.512 mm): its preparation
# (guided smoothing, levels) changes the height field, so its faces and error are not comparable
# with hmm's; it is there for its time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${ROUNDS:-5}
base=${BASE:-$(git merge-base HEAD main)}
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(all)
want() { local s; for s in "${sections[@]}"; do [[ $s == all || $s == "$1" ]] && return 0; done; return 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), $(go version | cut -d' ' -f3); load $(cut -d' ' -f1-3 /proc/loadavg); base $(git rev-parse --short "$base"), head $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"

# The base tree, with today's bench/perf tool (its flags are the same at every revision).
mkdir -p "$work/base"
git archive "$base" | tar -x -C "$work/base"
rm -rf "$work/base/bench/perf" && cp -r "$root/bench/perf" "$work/base/bench/perf"
(cd "$work/base" && go build -o "$work/perf.base" ./bench/perf && go build -o "$work/cli.base" ./examples/img2mesh)
go build -o "$work/perf.head" ./bench/perf
go build -o "$work/cli.head" ./examples/img2mesh

# timed NAME CMD...: runs CMD under /usr/bin/time, appends "NAME wall cpu rss_MB" to $work/times.
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null
	awk -v n="$name" '{ printf "%s %.4f %.4f %.1f\n", n, $1, $2 + $3, $4 / 1024 }' "$work/t" >>"$work/times"
}
# table FILTER ANCHOR: medians per name of the lines of $work/times matching FILTER, with the
# ratios to ANCHOR's medians.
table() {
	grep -E "$1" "$work/times" | awk -v anchor="$2" '
	function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
	{ w[$1] = w[$1] " " $2; c[$1] = c[$1] " " $3; r[$1] = r[$1] " " $4; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	END { aw = med(w[anchor]); ac = med(c[anchor])
	      printf "%-26s %9s %9s %9s %9s %9s\n", "case", "wall s", "÷anchor", "CPU s", "÷anchor", "RSS MB"
	      for (i = 1; i <= k; i++) { n = order[i]; printf "%-26s %9.3f %9.2f %9.3f %9.2f %9.1f\n", n, med(w[n]), med(w[n]) / aw, med(c[n]), med(c[n]) / ac, med(r[n]) } }'
}

hmm_build() {
	[ -x "$work/hmm/hmm" ] && return 0
	local src=${HMM_SRC:-}
	if [ -z "$src" ]; then
		if [ -d /work/.mirror/fogleman+hmm/repo ]; then src=/work/.mirror/fogleman+hmm/repo; else src=https://github.com/fogleman/hmm; fi
	fi
	git clone -q "$src" "$work/hmm"
	git -C "$work/hmm" checkout -q 5ea6114
	make -C "$work/hmm" -s >/dev/null
	echo "hmm $(git -C "$work/hmm" rev-parse --short HEAD) built with $(g++ --version | head -1) -O3 -march=native -flto"
}

if want relief; then
	echo
	echo "== relief, camera.png → 1024², max error 1 % of depth: hmm vs orfeas, $rounds rounds interleaved"
	hmm_build
	"$work/perf.head" upscale -in testdata/images/camera.png -n 1024 -o "$work/cam1024.png"
	cli=(-q -backend cpu -mode relief -quality high -width 1024 -depth 51.2 -base 20.48 -tolerance 0.512 -format stl)
	for r in $(seq "$rounds"); do
		timed hmm "$work/hmm/hmm" "$work/cam1024.png" "$work/hmm.stl" -z 51.2 -e 0.01 --level -b 0.4 -q
		timed orfeas-relief-base "$work/perf.base" relief -in "$work/cam1024.png" -o "$work/base.stl"
		timed orfeas-relief "$work/perf.head" relief -in "$work/cam1024.png" -o "$work/head.stl"
		timed orfeas-relief-1core env GOMAXPROCS=1 "$work/perf.head" relief -in "$work/cam1024.png" -o "$work/head1.stl"
		timed img2mesh-base "$work/cli.base" "${cli[@]}" -o "$work/clibase.stl" "$work/cam1024.png"
		timed img2mesh "$work/cli.head" "${cli[@]}" -o "$work/cli.stl" "$work/cam1024.png"
		timed img2mesh-1core env GOMAXPROCS=1 "$work/cli.head" "${cli[@]}" -o "$work/cli1.stl" "$work/cam1024.png"
	done
	table '^(hmm|orfeas-relief|img2mesh)' hmm
	echo "-- the same error measure on every output (max |top − levelled height map| / depth over all pixels):"
	for f in hmm base head head1 clibase cli; do
		printf "%-8s %s\n" "$f" "$("$work/perf.head" error -in "$work/cam1024.png" -stl "$work/$f.stl")"
	done
	cmp -s "$work/head.stl" "$work/head1.stl" && echo "orfeas-relief: identical STL at GOMAXPROCS=1 and $(nproc)"
	cmp -s "$work/head.stl" "$work/base.stl" && echo "orfeas-relief: identical STL at base and head"
fi

if want scaling; then
	echo
	echo "== relief scaling: camera.png enlarged to N², same flags; hmm and orfeas (perf relief: base, head, head at GOMAXPROCS=1), $(( (rounds + 1) / 2 )) rounds"
	hmm_build
	: >"$work/times"
	for n in ${SIZES:-512 1024 2048 4096}; do
		"$work/perf.head" upscale -in testdata/images/camera.png -n "$n" -o "$work/s$n.png"
		for r in $(seq $(( (rounds + 1) / 2 ))); do
			timed "hmm-$n" "$work/hmm/hmm" "$work/s$n.png" "$work/hmm$n.stl" -z $(awk -v n="$n" 'BEGIN { print n * 0.05 }') -e 0.01 --level -b 0.4 -q
			timed "orfeas-base-$n" "$work/perf.base" relief -in "$work/s$n.png" -o "$work/b$n.stl" -z $(awk -v n="$n" 'BEGIN { print n * 0.05 }')
			timed "orfeas-$n" "$work/perf.head" relief -in "$work/s$n.png" -o "$work/o$n.stl" -z $(awk -v n="$n" 'BEGIN { print n * 0.05 }')
			timed "orfeas-1core-$n" env GOMAXPROCS=1 "$work/perf.head" relief -in "$work/s$n.png" -o "$work/o$n.stl" -z $(awk -v n="$n" 'BEGIN { print n * 0.05 }')
		done
		table "^(hmm|orfeas|orfeas-base|orfeas-1core)-$n " "hmm-$n"
		cmp -s "$work/o$n.stl" "$work/b$n.stl" && echo "   orfeas: identical STL at base and head"
		echo "   faces: hmm $(( ($(stat -c %s "$work/hmm$n.stl") - 84) / 50 )), orfeas $(( ($(stat -c %s "$work/o$n.stl") - 84) / 50 )); input $(( n * n * 2 / 1048576 )) MB as 16-bit, decoded float32 $(( n * n * 4 / 1048576 )) MB, STL $(( $(stat -c %s "$work/o$n.stl") / 1048576 )) MB"
		rm -f "$work/hmm$n.stl" "$work/o$n.stl" "$work/b$n.stl" "$work/s$n.png"
	done
fi

if want e2e; then
	echo
	echo "== end to end: Generate astronaut.png relief at standard → GLB, in process (generator BenchmarkGenerateAstronaut/standard: auto mode, a relief of this photo, 53,982 faces), base vs head, $rounds rounds"
	(cd "$work/base" && go test -c -o "$work/gen.base" ./generator)
	go test -c -o "$work/gen.head" ./generator
	: >"$work/e2e"
	for r in $(seq "$rounds"); do
		for v in base head; do
			(cd generator && "$work/gen.$v" -test.run '^$' -test.bench 'GenerateAstronaut/standard$' -test.benchtime 5x -test.cpu "$(nproc),1") |
				awk -v v="$v" '/^Benchmark/ { cpu = 1; if (match($1, /-[0-9]+$/)) cpu = substr($1, RSTART + 1); print v "-" cpu "core", $3 / 1e9, $5 / 1e3 }' >>"$work/e2e"
		done
	done
	awk '{ printf "%s %s %s 0\n", $1, $2, $3 }' "$work/e2e" >"$work/times"
	table '.' "base-$(nproc)core"
	echo "-- the same photo with the mode given (Mode: Relief, no auto segmentation), → GLB: perf generate -glb -times, 6 runs in one process, the first (warm-up) dropped"
	: >"$work/times"
	for r in $(seq "$rounds"); do
		for v in base head; do
			"$work/perf.$v" generate -in testdata/images/astronaut.png -glb -o "$work/r.glb" -n 6 -times | awk -v v="$v" '/^RUN/ && ++k > 1 { print "relief-" v, $2, $3, 0 }' >>"$work/times"
			GOMAXPROCS=1 "$work/perf.$v" generate -in testdata/images/astronaut.png -glb -o "$work/r.glb" -n 6 -times | awk -v v="$v" '/^RUN/ && ++k > 1 { print "relief-" v "-1core", $2, $3, 0 }' >>"$work/times"
		done
	done
	table '.' relief-base
fi

if want simplify; then
	echo
	echo "== simplify (bench/simplify.sh, ROUNDS=$rounds)"
	ROUNDS=$rounds sh bench/simplify.sh
fi

if want mc; then
	echo
	echo "== marching cubes (bench/marching_cubes.sh)"
	bash bench/marching_cubes.sh
fi
