/*
 * driver.h: the part of the NVIDIA driver API (libcuda.so.1) the backend uses, declared here and
 * resolved at run time with dlopen/dlsym, so that building needs no CUDA headers or toolkit and a
 * binary runs on machines without a GPU. Each wrapper makes the primary context current for the
 * duration of one call (cuCtxPushCurrent/cuCtxPopCurrent), so Go needs no thread locking.
 */
#ifndef ORFEAS_DRIVER_H
#define ORFEAS_DRIVER_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

enum {
	OCU_SUCCESS = 0,
	OCU_ERROR_OUT_OF_MEMORY = 2,
	OCU_ATTR_CC_MAJOR = 75,
	OCU_ATTR_CC_MINOR = 76,
	OCU_STREAM_NON_BLOCKING = 1,
	OCU_NO_LIBRARY = -1,  /* not a CUresult: dlopen failed */
	OCU_NO_SYMBOL = -2,   /* not a CUresult: a symbol is missing */
};

typedef struct {
	void *lib;
	CUresult (*cuInit)(unsigned int);
	CUresult (*cuDeviceGetCount)(int *);
	CUresult (*cuDeviceGet)(CUdevice *, int);
	CUresult (*cuDeviceGetName)(char *, int, CUdevice);
	CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
	CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
	CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
	CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
	CUresult (*cuCtxPushCurrent)(CUcontext);
	CUresult (*cuCtxPopCurrent)(CUcontext *);
	CUresult (*cuModuleLoadData)(CUmodule *, const void *);
	CUresult (*cuModuleUnload)(CUmodule);
	CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
	CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
	CUresult (*cuMemFree)(CUdeviceptr);
	CUresult (*cuMemGetInfo)(size_t *, size_t *);
	CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
	CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
	CUresult (*cuStreamCreate)(CUstream *, unsigned int);
	CUresult (*cuStreamSynchronize)(CUstream);
	CUresult (*cuStreamDestroy)(CUstream);
	CUresult (*cuLaunchKernel)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,
	                           unsigned int, unsigned int, CUstream, void **, void **);
	CUresult (*cuGetErrorName)(CUresult, const char **);
	CUresult (*cuGetErrorString)(CUresult, const char **);
} ocu_api;

static ocu_api ocu;

/* ocu_load opens the driver library and resolves every entry point; it returns OCU_SUCCESS, or
 * OCU_NO_LIBRARY / OCU_NO_SYMBOL with the missing name in *what. It must be called once. */
static int ocu_load(const char **what)
{
	*what = "libcuda.so.1";
	ocu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!ocu.lib) {
		*what = dlerror();
		return OCU_NO_LIBRARY;
	}
#define OCU_SYM(field, name)                                   \
	do {                                                       \
		*(void **)(&ocu.field) = dlsym(ocu.lib, name);         \
		if (!ocu.field) {                                      \
			*what = name;                                      \
			return OCU_NO_SYMBOL;                              \
		}                                                      \
	} while (0)
	OCU_SYM(cuInit, "cuInit");
	OCU_SYM(cuDeviceGetCount, "cuDeviceGetCount");
	OCU_SYM(cuDeviceGet, "cuDeviceGet");
	OCU_SYM(cuDeviceGetName, "cuDeviceGetName");
	OCU_SYM(cuDeviceTotalMem, "cuDeviceTotalMem_v2");
	OCU_SYM(cuDeviceGetAttribute, "cuDeviceGetAttribute");
	OCU_SYM(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
	OCU_SYM(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
	OCU_SYM(cuCtxPushCurrent, "cuCtxPushCurrent_v2");
	OCU_SYM(cuCtxPopCurrent, "cuCtxPopCurrent_v2");
	OCU_SYM(cuModuleLoadData, "cuModuleLoadData");
	OCU_SYM(cuModuleUnload, "cuModuleUnload");
	OCU_SYM(cuModuleGetFunction, "cuModuleGetFunction");
	OCU_SYM(cuMemAlloc, "cuMemAlloc_v2");
	OCU_SYM(cuMemFree, "cuMemFree_v2");
	OCU_SYM(cuMemGetInfo, "cuMemGetInfo_v2");
	OCU_SYM(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
	OCU_SYM(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
	OCU_SYM(cuStreamCreate, "cuStreamCreate");
	OCU_SYM(cuStreamSynchronize, "cuStreamSynchronize");
	OCU_SYM(cuStreamDestroy, "cuStreamDestroy_v2");
	OCU_SYM(cuLaunchKernel, "cuLaunchKernel");
	OCU_SYM(cuGetErrorName, "cuGetErrorName");
	OCU_SYM(cuGetErrorString, "cuGetErrorString");
#undef OCU_SYM
	return OCU_SUCCESS;
}

static CUresult ocu_init(void) { return ocu.cuInit(0); }
static CUresult ocu_device_count(int *n) { return ocu.cuDeviceGetCount(n); }

static const char *ocu_error_name(CUresult r)
{
	const char *s = 0;
	if (ocu.cuGetErrorName && ocu.cuGetErrorName(r, &s) == OCU_SUCCESS && s)
		return s;
	return "CUDA_ERROR_UNKNOWN";
}

static const char *ocu_error_string(CUresult r)
{
	const char *s = 0;
	if (ocu.cuGetErrorString && ocu.cuGetErrorString(r, &s) == OCU_SUCCESS && s)
		return s;
	return "unknown error";
}

/* ocu_device describes device ordinal and retains its primary context. */
static CUresult ocu_open(int ordinal, CUdevice *dev, CUcontext *ctx, char *name, int namelen, size_t *total,
                         int *major, int *minor)
{
	CUresult r;
	if ((r = ocu.cuDeviceGet(dev, ordinal)) != OCU_SUCCESS)
		return r;
	if ((r = ocu.cuDeviceGetName(name, namelen, *dev)) != OCU_SUCCESS)
		return r;
	if ((r = ocu.cuDeviceTotalMem(total, *dev)) != OCU_SUCCESS)
		return r;
	if ((r = ocu.cuDeviceGetAttribute(major, OCU_ATTR_CC_MAJOR, *dev)) != OCU_SUCCESS)
		return r;
	if ((r = ocu.cuDeviceGetAttribute(minor, OCU_ATTR_CC_MINOR, *dev)) != OCU_SUCCESS)
		return r;
	return ocu.cuDevicePrimaryCtxRetain(ctx, *dev);
}

static CUresult ocu_release(CUdevice dev) { return ocu.cuDevicePrimaryCtxRelease(dev); }

#define OCU_IN(ctx)                                             \
	CUresult r, r2;                                             \
	CUcontext popped_;                                          \
	if ((r = ocu.cuCtxPushCurrent(ctx)) != OCU_SUCCESS)         \
		return r;
#define OCU_OUT()                                               \
	r2 = ocu.cuCtxPopCurrent(&popped_);                         \
	return r != OCU_SUCCESS ? r : r2;

static CUresult ocu_mem_info(CUcontext ctx, size_t *free_, size_t *total)
{
	OCU_IN(ctx)
	r = ocu.cuMemGetInfo(free_, total);
	OCU_OUT()
}

static CUresult ocu_module_load(CUcontext ctx, CUmodule *m, const char *ptx)
{
	OCU_IN(ctx)
	r = ocu.cuModuleLoadData(m, ptx);
	OCU_OUT()
}

static CUresult ocu_module_unload(CUcontext ctx, CUmodule m)
{
	OCU_IN(ctx)
	r = ocu.cuModuleUnload(m);
	OCU_OUT()
}

static CUresult ocu_function(CUcontext ctx, CUfunction *f, CUmodule m, const char *name)
{
	OCU_IN(ctx)
	r = ocu.cuModuleGetFunction(f, m, name);
	OCU_OUT()
}

static CUresult ocu_alloc(CUcontext ctx, CUdeviceptr *p, size_t n)
{
	OCU_IN(ctx)
	r = ocu.cuMemAlloc(p, n);
	OCU_OUT()
}

static CUresult ocu_free(CUcontext ctx, CUdeviceptr p)
{
	OCU_IN(ctx)
	r = ocu.cuMemFree(p);
	OCU_OUT()
}

static CUresult ocu_stream_create(CUcontext ctx, CUstream *s)
{
	OCU_IN(ctx)
	r = ocu.cuStreamCreate(s, OCU_STREAM_NON_BLOCKING);
	OCU_OUT()
}

static CUresult ocu_stream_destroy(CUcontext ctx, CUstream s)
{
	OCU_IN(ctx)
	r = ocu.cuStreamSynchronize(s);
	if (r == OCU_SUCCESS)
		r = ocu.cuStreamDestroy(s);
	else
		(void)ocu.cuStreamDestroy(s);
	OCU_OUT()
}

static CUresult ocu_sync(CUcontext ctx, CUstream s)
{
	OCU_IN(ctx)
	r = ocu.cuStreamSynchronize(s);
	OCU_OUT()
}

/* Copies are finished when these return: the host side may be Go memory, which must not be
 * touched after the cgo call returns. */
static CUresult ocu_upload(CUcontext ctx, CUstream s, CUdeviceptr dst, const void *src, size_t n)
{
	OCU_IN(ctx)
	r = ocu.cuMemcpyHtoDAsync(dst, src, n, s);
	if (r == OCU_SUCCESS)
		r = ocu.cuStreamSynchronize(s);
	OCU_OUT()
}

static CUresult ocu_download(CUcontext ctx, CUstream s, void *dst, CUdeviceptr src, size_t n)
{
	OCU_IN(ctx)
	r = ocu.cuMemcpyDtoHAsync(dst, src, n, s);
	if (r == OCU_SUCCESS)
		r = ocu.cuStreamSynchronize(s);
	OCU_OUT()
}

/* The driver copies the argument struct when the launch is queued. */
static CUresult ocu_launch(CUcontext ctx, CUstream s, CUfunction f, unsigned int blocks, unsigned int threads,
                           void *args)
{
	void *params[1];
	params[0] = args;
	OCU_IN(ctx)
	r = ocu.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, s, params, 0);
	OCU_OUT()
}

#endif
