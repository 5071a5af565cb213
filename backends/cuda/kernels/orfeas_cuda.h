/*
 * orfeas_cuda.h: the few definitions that let one kernel source compile two ways.
 *
 *  - As CUDA device code, by clang without the CUDA toolkit's headers (__CUDA__ and
 *    __CUDA_ARCH__ are defined; see gen.go for the command line).
 *  - As plain C11 for the host, included by the test-only emulator (backends/cuda/internal/emu),
 *    which runs a launch's grid as loops, one "thread" at a time.
 *
 * Kernels are written in the subset both accept: C structs, no templates or references, no
 * shared memory, no block-level synchronisation, no warp intrinsics. Work that needs cooperation
 * between threads is split into passes (separate launches). Atomics appear only where the result
 * does not depend on their order (a maximum).
 *
 * Every kernel takes one argument, a struct passed by value, declared in args.h, and finds its
 * own index with GLOBAL_ID() (a 1D grid). Floating-point contraction is disabled on both sides
 * (-ffp-contract=off), so results agree bit for bit with the Go reference wherever the
 * arithmetic is the same sequence of IEEE operations.
 */
#ifndef ORFEAS_CUDA_H
#define ORFEAS_CUDA_H

#if defined(__CUDA__) && defined(__CUDA_ARCH__)

#define ORFEAS_DEVICE 1
#define KERNEL extern "C" __attribute__((global)) void
#define DEVFN static __attribute__((device)) inline
#define DEVCONST static __attribute__((constant)) const
#define GLOBAL_ID() \
	(__nvvm_read_ptx_sreg_ctaid_x() * __nvvm_read_ptx_sreg_ntid_x() + __nvvm_read_ptx_sreg_tid_x())
#define POPC(x) __builtin_popcount(x)
/* Atomic maximum of unsigned ints; the final value does not depend on the order. */
#define ATOMIC_MAX_U32(p, v) __nvvm_atom_max_gen_ui((p), (v))

#elif defined(__CUDA__)

/* clang's host-side pass of a CUDA compile: nothing to emit. */
#define KERNEL static void
#define DEVFN static inline
#define DEVCONST static const
#define GLOBAL_ID() 0u
#define POPC(x) __builtin_popcount(x)
#define ATOMIC_MAX_U32(p, v) ((void)0)

#else /* host emulation */

#define ORFEAS_EMULATED 1
/* The emulator sets these before each simulated thread; thread-local so that concurrent
 * launches from different OS threads do not interfere. */
extern _Thread_local unsigned int emu_block_idx, emu_block_dim, emu_thread_idx;
#define KERNEL static void
#define DEVFN static inline
#define DEVCONST static const
#define GLOBAL_ID() (emu_block_idx * emu_block_dim + emu_thread_idx)
#define POPC(x) __builtin_popcount(x)
/* Threads of an emulated launch run one after another: a plain maximum is exact. */
#define ATOMIC_MAX_U32(p, v)              \
	do {                                  \
		unsigned int *emu_p_ = (p);       \
		unsigned int emu_v_ = (v);        \
		if (emu_v_ > *emu_p_)             \
			*emu_p_ = emu_v_;             \
	} while (0)

#endif

/* CHUNK_RANGE declares [lo, hi), the entries of thread t when each thread walks chunk
 * consecutive entries of count, and returns from the kernel when the thread has none. */
#define CHUNK_RANGE(t, chunk, count, lo, hi)                                      \
	unsigned long long lo = (unsigned long long)(t) * (chunk), hi = lo + (chunk); \
	if (lo >= (count))                                                            \
		return;                                                                   \
	if (hi > (count))                                                             \
		hi = (count)

#define INF_F64 (__builtin_inf())
#define INF_F32 (__builtin_inff())

DEVFN float maxf32(float a, float b) { return a > b ? a : b; }
DEVFN float minf32(float a, float b) { return a < b ? a : b; }
DEVFN double maxf64(double a, double b) { return a > b ? a : b; }
DEVFN double minf64(double a, double b) { return a < b ? a : b; }
DEVFN int mini(int a, int b) { return a < b ? a : b; }
DEVFN int maxi(int a, int b) { return a > b ? a : b; }
DEVFN float absf32(float x) { return x < 0 ? -x : x; }

/* hypot64 is Go's math.Hypot: max·sqrt(1 + (min/max)²), +Inf when either is infinite. */
DEVFN double hypot64(double p, double q)
{
	p = __builtin_fabs(p);
	q = __builtin_fabs(q);
	if (p == INF_F64 || q == INF_F64)
		return INF_F64;
	if (p != p || q != q)
		return p + q;
	if (p < q) {
		double t = p;
		p = q;
		q = t;
	}
	if (p == 0)
		return 0;
	q = q / p;
	return p * __builtin_sqrt(1 + q * q);
}

#endif
