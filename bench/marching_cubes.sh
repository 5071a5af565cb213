#!/usr/bin/env bash
# Compares orfeas's mesh.Isosurface with scikit-image's measure.marching_cubes on the same field:
# the rippled sphere |p| − 0.7 + 0.05·sin 8x·sin 8y sampled on a 256³ grid over [−1, 1]³, level 0.
# Both report Mvoxel/s (256³ samples / wall time) and Mvoxel/CPU-s (per second of CPU time the
# process used), the second being the fairer figure when other work shares the machine. Not run in
# CI.
#
# Needs: Go, and Debian's python3-skimage for the system python (apt-get install -y python3-skimage).
# Usage: bench/marching_cubes.sh [go test -benchtime value, default 20x]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${1:-20x}"

echo "== scikit-image measure.marching_cubes (system python3, single thread) =="
# OpenBLAS tuning variables set for other tools confuse numpy's OpenBLAS on this machine.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - <<'PY'
import time
import numpy as np
import skimage
from skimage import measure

n = 256
a = np.linspace(-1.0, 1.0, n)
x, y, z = np.meshgrid(a, a, a, indexing="ij")
vol = (np.sqrt(x * x + y * y + z * z) - 0.7 + 0.05 * np.sin(8 * x) * np.sin(8 * y)).astype(np.float32)
best, best_cpu = float("inf"), float("inf")
for _ in range(5):
    t0, c0 = time.perf_counter(), time.process_time()
    verts, faces, _, _ = measure.marching_cubes(vol, 0.0)
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
print(f"skimage {skimage.__version__}: {len(verts)} vertices, {len(faces)} faces, "
      f"best {best * 1e3:.1f} ms = {n ** 3 / best / 1e6:.1f} Mvoxel/s, "
      f"{n ** 3 / best_cpu / 1e6:.1f} Mvoxel/CPU-s")
PY

echo "== orfeas mesh.Isosurface (GOMAXPROCS = $(nproc) and 1) =="
echo "   (BenchmarkIsosurfaceFieldRead256: one scalar pass that only counts every sample's sign;"
echo "    BenchmarkMemoryStream256: the same 64 MiB read as 64-bit words, the machine's bandwidth)"
go test ./mesh -run '^$' -bench '^Benchmark(Isosurface|IsosurfaceFieldRead|MemoryStream)256$' -benchtime "$benchtime" -count 3 -cpu "$(nproc),1" \
	| grep -E '^Benchmark' \
	| awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "Mvoxel/s") mv = $i; else if ($(i+1) == "ns/op") ns = $i; else if ($(i+1) == "Mvoxel/CPU-s") cpu = $i;
	         printf "%s: %.1f ms = %s Mvoxel/s, %s Mvoxel/CPU-s\n", $1, ns / 1e6, mv, cpu }'
