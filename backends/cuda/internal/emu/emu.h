#ifndef ORFEAS_EMU_H
#define ORFEAS_EMU_H
#include <stddef.h>
#include <stdint.h>
/* emu_ptr turns a device address of the emulator (a C heap address) back into a pointer. */
static inline void *emu_ptr(uint64_t p) { return (void *)(uintptr_t)p; }
int emu_kernel_count(void);
const char *emu_kernel_name(int k);
const char *emu_kernel_module(int k);
size_t emu_kernel_args_size(int k);
int emu_launch(int k, unsigned int blocks, unsigned int threads, const void *args, size_t size);
#endif
