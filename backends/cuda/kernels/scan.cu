/*
 * scan.cu: exclusive prefix sums over global memory without shared memory or synchronisation
 * inside a launch. Each thread owns a chunk of consecutive entries:
 *
 *   1. scan_sum_*: every chunk's total (u64), giving an array `chunk` times shorter;
 *   2. the same, recursively, until one chunk is left, which scan_top scans in one thread;
 *   3. scan_down_*: every chunk walks its entries again, starting from its offset.
 *
 * Integer sums are exact, so the result does not depend on the launch shape. (Blelloch 1990,
 * "Prefix sums and their applications", describes the reduce-then-scan structure; here the
 * block-level step is a sequential loop per thread.)
 */
#include "orfeas_cuda.h"
#include "args.h"

KERNEL scan_sum_u8(struct scan_sum_u8_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i, s = 0;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	for (i = lo; i < hi; i++)
		s += a.in[i];
	a.sums[t] = s;
}

KERNEL scan_sum_popc(struct scan_sum_popc_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i, s = 0;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	for (i = lo; i < hi; i++)
		s += (unsigned long long)POPC(a.in[i]);
	a.sums[t] = s;
}

KERNEL scan_sum_u64(struct scan_sum_u64_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i, s = 0;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	for (i = lo; i < hi; i++)
		s += a.in[i];
	a.sums[t] = s;
}

KERNEL scan_top(struct scan_top_args a)
{
	unsigned long long s = 0;
	u32 i;
	if (GLOBAL_ID() != 0)
		return;
	for (i = 0; i < a.n; i++) {
		unsigned long long v = a.a[i];
		a.a[i] = s;
		s += v;
	}
	a.total[0] = s;
}

KERNEL scan_down_u64(struct scan_down_u64_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i, s;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	s = a.offs[t];
	for (i = lo; i < hi; i++) {
		unsigned long long v = a.in[i];
		a.out[i] = s;
		s += v;
	}
}

KERNEL scan_down_popc(struct scan_down_popc_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i, s;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	s = a.offs[t];
	for (i = lo; i < hi; i++) {
		u32 v = a.in[i];
		a.out[i] = (u32)s;
		s += (unsigned long long)POPC(v);
	}
}
