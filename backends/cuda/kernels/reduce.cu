/*
 * reduce.cu: maxima over global memory, one chunk per thread; a second launch over the chunk
 * results (one chunk) finishes. A maximum does not depend on the order of its operands, so the
 * result is the Go reference's.
 */
#include "orfeas_cuda.h"
#include "args.h"

KERNEL max_f32(struct max_f32_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i;
	float m = a.init;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	for (i = lo; i < hi; i++)
		m = maxf32(m, a.in[i]);
	a.out[t] = m;
}

KERNEL max_f64(struct max_f64_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned long long i;
	double m = a.init;
	CHUNK_RANGE(t, a.chunk, a.n, lo, hi);
	for (i = lo; i < hi; i++)
		m = maxf64(m, a.in[i]);
	a.out[t] = m;
}

KERNEL fill_u32(struct fill_u32_args a)
{
	unsigned int i = GLOBAL_ID();
	if (i < a.n)
		a.a[i] = a.value;
}
