/* The host emulator: the kernel sources compiled as C, and a launcher that runs a grid as loops. */
/* No fused multiply-add: the emulator must round like the Go reference and the PTX
 * (compiled with -ffp-contract=off), and cgo does not accept that flag. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <stddef.h>
#include <string.h>

_Thread_local unsigned int emu_block_idx, emu_block_dim, emu_thread_idx;

#include "../../kernels/orfeas_cuda.h"
#include "../../kernels/args.h"
#include "../../kernels/edt.cu"
#include "../../kernels/reduce.cu"
#include "../../kernels/inflate.cu"
#include "../../kernels/scan.cu"
#include "../../kernels/mc.cu"
#include "../../kernels/blur.cu"
#include "../../kernels/rtin.cu"

#include "emu.h"

#define EMU_NAME(module, name) #name,
static const char *emu_names[] = {ORFEAS_KERNELS(EMU_NAME) 0};
#define EMU_MODULE(module, name) #module,
static const char *emu_modules[] = {ORFEAS_KERNELS(EMU_MODULE) 0};
#define EMU_SIZE(module, name) sizeof(struct name##_args),
static const size_t emu_sizes[] = {ORFEAS_KERNELS(EMU_SIZE) 0};

int emu_kernel_count(void) { return KID_COUNT; }
const char *emu_kernel_name(int k) { return k >= 0 && k < KID_COUNT ? emu_names[k] : 0; }
const char *emu_kernel_module(int k) { return k >= 0 && k < KID_COUNT ? emu_modules[k] : 0; }
size_t emu_kernel_args_size(int k) { return k >= 0 && k < KID_COUNT ? emu_sizes[k] : 0; }

int emu_launch(int k, unsigned int blocks, unsigned int threads, const void *args, size_t size)
{
	unsigned int b, t;
	if (k < 0 || k >= KID_COUNT || size != emu_sizes[k])
		return -1;
	emu_block_dim = threads;
	switch (k) {
#define EMU_CASE(module, name)                                     \
	case KID_##name: {                                             \
		struct name##_args a;                                      \
		memcpy(&a, args, sizeof a);                                \
		for (b = 0; b < blocks; b++) {                             \
			emu_block_idx = b;                                     \
			for (t = 0; t < threads; t++) {                        \
				emu_thread_idx = t;                                \
				name(a);                                           \
			}                                                      \
		}                                                          \
		break;                                                     \
	}
		ORFEAS_KERNELS(EMU_CASE)
#undef EMU_CASE
	}
	return 0;
}
