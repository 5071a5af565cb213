#include "textflag.h"

// func simpPrefetch(addr uintptr)
TEXT ·simpPrefetch(SB), NOSPLIT, $0-8
	MOVQ addr+0(FP), AX
	PREFETCHT0 (AX)
	RET
