#include "textflag.h"

// func isoSigns(v []float32, level float32, out []uint64) bool
//
// The SSE2 form of isoSignsGeneric (isosurface.go). Each 64-sample word is four blocks of 16:
// SUBPS forms v − level four samples at a time, exactly Go's float32 subtraction (IEEE single,
// round to nearest, no FMA, MXCSR as Go leaves it). The differences are then read as int32s and
// packed with signed saturation, which keeps each sign: PACKSSLW (PACKSSDW) narrows two vectors of
// four to eight int16s, PACKSSWB two of those to 16 bytes in sample order, and PMOVMSKB gathers
// the 16 byte signs into 16 bits. An unordered compare of two difference vectors at a time
// (CMPPS predicate 3) marks NaNs; they are ORed into one accumulator read once at the end.
// Words processed: min(len(out), len(v)/64), so the kernel never reads past v.
//
// Registers:
//	SI	next sample (v)             DI	next mask word (out)        CX	words left
//	AX	the word being built         BX	one block's 16 bits
//	X8	level in all four lanes     X9	NaN accumulator
//	X0–X3	a block's differences     X4, X5	unordered-compare scratch
TEXT ·isoSigns(SB), NOSPLIT, $0-57
	MOVQ   v_base+0(FP), SI
	MOVQ   v_len+8(FP), DX
	SHRQ   $6, DX
	MOVQ   out_base+32(FP), DI
	MOVQ   out_len+40(FP), CX
	CMPQ   DX, CX
	CMOVQLT DX, CX
	MOVSS  level+24(FP), X8
	SHUFPS $0, X8, X8
	XORPS  X9, X9
	TESTQ  CX, CX
	JLE    done

// BLOCK classifies the 16 samples at off(SI) into the low 16 bits of BX.
#define BLOCK(off) \
	MOVUPS off+0(SI), X0 \
	MOVUPS off+16(SI), X1 \
	MOVUPS off+32(SI), X2 \
	MOVUPS off+48(SI), X3 \
	SUBPS  X8, X0 \
	SUBPS  X8, X1 \
	SUBPS  X8, X2 \
	SUBPS  X8, X3 \
	MOVAPS X0, X4 \
	CMPPS  X1, X4, $3 \
	MOVAPS X2, X5 \
	CMPPS  X3, X5, $3 \
	ORPS   X4, X9 \
	ORPS   X5, X9 \
	PACKSSLW X1, X0 \
	PACKSSLW X3, X2 \
	PACKSSWB X2, X0 \
	PMOVMSKB X0, BX

loop:
	BLOCK(0)
	MOVQ BX, AX
	BLOCK(64)
	SHLQ $16, BX
	ORQ  BX, AX
	BLOCK(128)
	SHLQ $32, BX
	ORQ  BX, AX
	BLOCK(192)
	SHLQ $48, BX
	ORQ  BX, AX
	MOVQ AX, (DI)
	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  loop

done:
	MOVMSKPS X9, AX
	TESTL    AX, AX
	SETNE    ret+56(FP)
	RET

// func isoPrefetch(v []float32)
//
// Asks for v's cache lines ahead of use (PREFETCHT0, one per 64 bytes, a hint that never faults),
// so that a plane's samples stream in from memory while the previous layer's cells are built.
// SI: next line; CX: bytes left.
TEXT ·isoPrefetch(SB), NOSPLIT, $0-24
	MOVQ v_base+0(FP), SI
	MOVQ v_len+8(FP), CX
	SHLQ $2, CX
	TESTQ CX, CX
	JLE  pdone
ploop:
	PREFETCHT0 (SI)
	ADDQ $64, SI
	SUBQ $64, CX
	JGT  ploop
pdone:
	RET
