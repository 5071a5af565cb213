/*
 * fakecuda.c: a stand-in for the NVIDIA driver library (libcuda.so.1) for the tests of the
 * backend's driver layer on machines without a GPU. It implements the entry points the backend
 * resolves with dlsym, keeps device memory in the host heap, and runs kernels on the host
 * emulator (the same kernel sources). It counts what is held, and whenever a primary context is
 * released writes the counts to the file named by FAKE_CUDA_STATS, so a test can check that
 * Close released everything.
 *
 * Environment: FAKE_CUDA_MEMORY (bytes of "device" memory, default 1 GiB), FAKE_CUDA_NO_DEVICE
 * (cuInit fails with CUDA_ERROR_NO_DEVICE).
 *
 * Built by TestFakeDriver: cc -shared -fPIC -o DIR/libcuda.so.1 fakecuda.c -lm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "../../internal/emu/emu.c"

typedef int CUresult;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t limit_bytes, used_bytes, peak_bytes;
static long n_allocs, n_contexts, n_modules, n_streams, n_launches, bad_pops;
static _Thread_local int depth;

static void fake_init_limits(void)
{
	const char *m = getenv("FAKE_CUDA_MEMORY");
	limit_bytes = m ? (size_t)strtoull(m, 0, 10) : ((size_t)1 << 30);
}

/* fake_stats runs when a primary context is released, the last thing a backend's Close does (a Go
 * program does not run C destructors at exit). */
static void fake_stats(void)
{
	const char *path = getenv("FAKE_CUDA_STATS");
	FILE *f;
	if (!path || !(f = fopen(path, "w")))
		return;
	fprintf(f, "bytes %zu allocs %ld contexts %ld modules %ld streams %ld launches %ld badpops %ld peak %zu\n",
	        used_bytes, n_allocs, n_contexts, n_modules, n_streams, n_launches, bad_pops, peak_bytes);
	fclose(f);
}

CUresult cuInit(unsigned int flags)
{
	(void)flags;
	fake_init_limits();
	return getenv("FAKE_CUDA_NO_DEVICE") ? 100 : 0;
}
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? 0 : 101; }
CUresult cuDeviceGetName(char *name, int len, int d)
{
	(void)d;
	snprintf(name, (size_t)len, "Fake CUDA device (host emulator)");
	return 0;
}
CUresult cuDeviceTotalMem_v2(size_t *n, int d) { (void)d; *n = limit_bytes; return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int d)
{
	(void)d;
	*v = attr == 75 ? 7 : attr == 76 ? 0 : 0;
	return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d)
{
	(void)d;
	pthread_mutex_lock(&mu);
	n_contexts++;
	pthread_mutex_unlock(&mu);
	*ctx = (void *)0x1000;
	return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int d)
{
	(void)d;
	pthread_mutex_lock(&mu);
	n_contexts--;
	pthread_mutex_unlock(&mu);
	fake_stats();
	return 0;
}
CUresult cuCtxPushCurrent_v2(void *ctx) { (void)ctx; depth++; return 0; }
CUresult cuCtxPopCurrent_v2(void **ctx)
{
	if (depth <= 0) {
		pthread_mutex_lock(&mu);
		bad_pops++;
		pthread_mutex_unlock(&mu);
		return 201;
	}
	depth--;
	*ctx = (void *)0x1000;
	return 0;
}
CUresult cuModuleLoadData(void **mod, const void *image)
{
	const char *ptx = (const char *)image;
	if (!strstr(ptx, ".version") || !strstr(ptx, ".target sm_70"))
		return 218; /* CUDA_ERROR_INVALID_PTX */
	pthread_mutex_lock(&mu);
	n_modules++;
	pthread_mutex_unlock(&mu);
	*mod = (void *)strdup(ptx);
	return 0;
}
CUresult cuModuleUnload(void *mod)
{
	free(mod);
	pthread_mutex_lock(&mu);
	n_modules--;
	pthread_mutex_unlock(&mu);
	return 0;
}
CUresult cuModuleGetFunction(void **f, void *mod, const char *name)
{
	char entry[128];
	int k;
	snprintf(entry, sizeof entry, ".entry %s(", name);
	if (!strstr((const char *)mod, entry))
		return 500; /* CUDA_ERROR_NOT_FOUND: the kernel is not in this module */
	for (k = 0; k < emu_kernel_count(); k++) {
		if (strcmp(emu_kernel_name(k), name) == 0) {
			*f = (void *)(uintptr_t)(k + 1);
			return 0;
		}
	}
	return 500;
}
CUresult cuMemAlloc_v2(unsigned long long *p, size_t n)
{
	size_t *h;
	pthread_mutex_lock(&mu);
	if (used_bytes + n > limit_bytes) {
		pthread_mutex_unlock(&mu);
		return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
	}
	used_bytes += n;
	if (used_bytes > peak_bytes)
		peak_bytes = used_bytes;
	n_allocs++;
	pthread_mutex_unlock(&mu);
	h = (size_t *)malloc(n + 16);
	if (!h)
		return 2;
	memset(h + 2, 0xA5, n);
	h[0] = n;
	*p = (unsigned long long)(uintptr_t)(h + 2);
	return 0;
}
CUresult cuMemFree_v2(unsigned long long p)
{
	size_t *h = (size_t *)(uintptr_t)p - 2;
	pthread_mutex_lock(&mu);
	used_bytes -= h[0];
	n_allocs--;
	pthread_mutex_unlock(&mu);
	free(h);
	return 0;
}
CUresult cuMemGetInfo_v2(size_t *free_, size_t *total)
{
	pthread_mutex_lock(&mu);
	*free_ = limit_bytes - used_bytes;
	*total = limit_bytes;
	pthread_mutex_unlock(&mu);
	return 0;
}
CUresult cuMemcpyHtoDAsync_v2(unsigned long long dst, const void *src, size_t n, void *s)
{
	(void)s;
	if (depth <= 0)
		return 201; /* CUDA_ERROR_INVALID_CONTEXT: no current context */
	memcpy((void *)(uintptr_t)dst, src, n);
	return 0;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, unsigned long long src, size_t n, void *s)
{
	(void)s;
	if (depth <= 0)
		return 201;
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return 0;
}
CUresult cuStreamCreate(void **s, unsigned int flags)
{
	(void)flags;
	pthread_mutex_lock(&mu);
	n_streams++;
	pthread_mutex_unlock(&mu);
	*s = (void *)0x2000;
	return 0;
}
CUresult cuStreamSynchronize(void *s) { (void)s; return 0; }
CUresult cuStreamDestroy_v2(void *s)
{
	(void)s;
	pthread_mutex_lock(&mu);
	n_streams--;
	pthread_mutex_unlock(&mu);
	return 0;
}
CUresult cuLaunchKernel(void *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                        unsigned int bz, unsigned int shmem, void *stream, void **params, void **extra)
{
	int k = (int)(uintptr_t)f - 1;
	(void)stream;
	if (depth <= 0)
		return 201;
	if (gy != 1 || gz != 1 || by != 1 || bz != 1 || shmem != 0 || extra != 0 || bx == 0 || bx > 1024)
		return 1; /* CUDA_ERROR_INVALID_VALUE */
	pthread_mutex_lock(&mu);
	n_launches++;
	pthread_mutex_unlock(&mu);
	return emu_launch(k, gx, bx, params[0], emu_kernel_args_size(k)) == 0 ? 0 : 1;
}
CUresult cuGetErrorName(CUresult r, const char **s)
{
	*s = r == 2 ? "CUDA_ERROR_OUT_OF_MEMORY" : r == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_FAKE";
	return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s)
{
	*s = r == 2 ? "out of memory" : "fake driver error";
	return 0;
}
