#!/usr/bin/env bash
# bench/gpu.sh: the CUDA backend's checks on a machine with an NVIDIA GPU, in a few minutes.
#
#   1. nvidia-smi, then the test binary of backends/cuda: built here when Go is installed, else
#      the prebuilt bench/cuda.test (build it elsewhere with
#      `go test -c -o bench/cuda.test ./backends/cuda` and bring it along).
#   2. The GPU against the host emulator (inflate, relief, flat lithophane): the same kernel
#      sources must give identical meshes.
#   3. Parity per sample image (testdata/images) × mode × quality (high, ultra, at the
#      generator's tolerances): the CUDA mesh is closed, its volume within 0.5 % of the CPU
#      reference's, its Hausdorff distance within one pixel (inflate: one voxel); with both
#      backends' times on this machine. Inflate, relief and lithophane run on the GPU (reliefs
#      and lithophanes as an RTIN, a different triangulation from the CPU's greedy insertion, so
#      their face counts differ); extrude and cylinders run on the host backend. Every mode has
#      its own time limit, so a slow CPU reference cannot starve the others.
#   4. A table of the PARITY lines. The logs go to $OUT (default /tmp/orfeas-gpu).
#
# Environment: ORFEAS_GPU_IMAGES (e.g. horse,bison), ORFEAS_GPU_QUALITIES (default high,ultra;
# inflate also runs ultra2048, the images enlarged to 2048 px, the size the ultra target is about;
# reliefs at 2048 px would need gigabytes for the Hausdorff check's cells of half a pixel),
# MODE_TIMEOUT (seconds per mode, default 90; inflate gets twice that). Worst case about 9 minutes,
# estimated 3 to 5 on an H200 with 16 cores (not yet measured there).
# Exit status: 0 when every check passed; 3 when the GPU was not usable (nothing measured).
#
# On a GPU machine without Go: build the test binary first, where Go is, and bring it along:
#   go test -c -o bench/cuda.test ./backends/cuda    # bench/*.test is ignored by git
#   bash bench/gpu.sh                                 # on the GPU machine, from the repo root
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT:-/tmp/orfeas-gpu}
mkdir -p "$out"
mode_timeout=${MODE_TIMEOUT:-90}

echo "== nvidia-smi"
nvidia-smi || echo "(nvidia-smi failed: status $?)"
echo "== machine: $(nproc) CPU cores, $(uname -m)"

if command -v ptxas >/dev/null 2>&1; then
	echo "== ptxas (sm_90) on the committed PTX"
	for f in backends/cuda/kernels/*.ptx; do
		ptxas -arch=sm_90 -o /dev/null "$f" && echo "ok $f" || { echo "!! ptxas rejected $f"; exit 4; }
	done
fi

bin="$root/bench/cuda.test"
if command -v go >/dev/null 2>&1; then
	echo "== building the backends/cuda test binary with $(go version)"
	go build ./... && go vet ./backends/cuda/...
	go test -c -o "$bin" ./backends/cuda
elif [[ ! -x "$bin" ]]; then
	echo "no Go toolchain here and no prebuilt $bin; build it with: go test -c -o bench/cuda.test ./backends/cuda" >&2
	exit 2
fi

cd "$root/backends/cuda" # the tests find testdata/images from here
status=0
run() { # run NAME TIMEOUT TEST-REGEXP [ENV=VALUE...]
	local name=$1 limit=$2 pattern=$3
	shift 3
	echo "== $name (limit ${limit}s)"
	set +e
	env "$@" timeout --kill-after=10 "$limit" "$bin" -test.run "$pattern" -test.v -test.count=1 \
		-test.timeout "$((limit - 5))s" 2>&1 | tee "$out/$name.log"
	local rc=${PIPESTATUS[0]}
	set -e
	if [[ $rc -ne 0 ]]; then
		echo "!! $name: exit status $rc"
		status=1
	fi
}

run emulator 90 'TestUnavailableIsClean|TestKernelTable|TestGPUMatchesEmulator'
run inflate $((2 * mode_timeout)) TestGPUParity ORFEAS_GPU_MODES=inflate "ORFEAS_GPU_QUALITIES=${ORFEAS_GPU_QUALITIES:-high,ultra,ultra2048}"
for mode in relief lithophane extrude; do
	run "$mode" "$mode_timeout" 'TestGPUParity' "ORFEAS_GPU_MODES=$mode"
done

echo
echo "== parity table (cpu and cuda: seconds for one Reconstruct on this machine; speed-up = cpu/cuda)"
{
	echo "image|mode|quality|size|faces cpu / cuda|closed|volume diff|hausdorff (tol)|cpu|cuda|speed-up"
	grep -h 'PARITY |' "$out"/*.log | sed -e 's/^.*PARITY | //' -e 's/ | /|/g' || true
} | if command -v column >/dev/null 2>&1; then column -t -s '|'; else cat; fi
grep -h 'DEVICE |' "$out"/*.log | head -1 || true
grep -hE '^\s*--- (SKIP|FAIL)' "$out"/*.log | sort | uniq -c | head -40 || true
if grep -q -- '--- SKIP: TestGPUMatchesEmulator' "$out/emulator.log"; then
	echo "!! the GPU was not usable here (see the SKIP reason above): nothing was measured"
	status=3
fi
echo "== done: status $status (logs in $out)"
exit "$status"
