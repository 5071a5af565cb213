#include "textflag.h"

// func simpPrefetch(addr uintptr)
TEXT ·simpPrefetch(SB), NOSPLIT, $0-8
	MOVQ addr+0(FP), AX
	PREFETCHT0 (AX)
	RET

// func simpPrefetch4(a, b, c, d uintptr)
TEXT ·simpPrefetch4(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	PREFETCHT0 (AX)
	MOVQ b+8(FP), AX
	PREFETCHT0 (AX)
	MOVQ c+16(FP), AX
	PREFETCHT0 (AX)
	MOVQ d+24(FP), AX
	PREFETCHT0 (AX)
	RET
