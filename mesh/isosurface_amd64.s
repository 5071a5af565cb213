#include "textflag.h"

// func isoSignsSSE2(v []float32, level float32, out []uint64) bool
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
TEXT ·isoSignsSSE2(SB), NOSPLIT, $0-57
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

// func isoSignsAVX2(v []float32, level float32, out []uint64) bool
//
// isoSignsSSE2 eight samples at a time (needs AVX2, see isoCPUHasAVX2). A 64-sample word is two
// halves of 32: VSUBPS forms the differences in Y0–Y3 (Y4–Y7 for the second half), the unordered
// compares mark NaNs into Y10, VPACKSSDW and VPACKSSWB narrow the 32 int32s to 32 sign-keeping
// bytes, but within each 128-bit lane, so the bytes come out as the 4-byte groups Y0 0–3, Y1 0–3,
// Y2 0–3, Y3 0–3 | Y0 4–7, Y1 4–7, Y2 4–7, Y3 4–7; VPERMD with isoPermAVX2 (0, 4, 1, 5, 2, 6, 3, 7)
// puts them in sample order before VPMOVMSKB takes the 32 signs. VZEROUPPER before returning.
//
// Registers: SI, DI, CX, AX as in isoSignsSSE2, BX the second half's 32 bits; Y8 level in all
// lanes, Y9 the permutation, Y10 the NaN accumulator, Y11 unordered-compare scratch.
TEXT ·isoSignsAVX2(SB), NOSPLIT, $0-57
	MOVQ   v_base+0(FP), SI
	MOVQ   v_len+8(FP), DX
	SHRQ   $6, DX
	MOVQ   out_base+32(FP), DI
	MOVQ   out_len+40(FP), CX
	CMPQ   DX, CX
	CMOVQLT DX, CX
	VBROADCASTSS level+24(FP), Y8
	VMOVDQU isoPermAVX2<>(SB), Y9
	VXORPS Y10, Y10, Y10
	TESTQ  CX, CX
	JLE    avxdone

// HALF leaves the 32 signs of the samples at off(SI) in the low half of reg.
#define HALF(off, reg) \
	VMOVUPS off+0(SI), Y0 \
	VMOVUPS off+32(SI), Y1 \
	VMOVUPS off+64(SI), Y2 \
	VMOVUPS off+96(SI), Y3 \
	VSUBPS  Y8, Y0, Y0 \
	VSUBPS  Y8, Y1, Y1 \
	VSUBPS  Y8, Y2, Y2 \
	VSUBPS  Y8, Y3, Y3 \
	VCMPPS  $3, Y1, Y0, Y11 \
	VORPS   Y11, Y10, Y10 \
	VCMPPS  $3, Y3, Y2, Y11 \
	VORPS   Y11, Y10, Y10 \
	VPACKSSDW Y1, Y0, Y0 \
	VPACKSSDW Y3, Y2, Y2 \
	VPACKSSWB Y2, Y0, Y0 \
	VPERMD  Y0, Y9, Y0 \
	VPMOVMSKB Y0, reg

avxloop:
	HALF(0, AX)
	HALF(128, BX)
	SHLQ $32, BX
	ORQ  BX, AX
	MOVQ AX, (DI)
	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  avxloop

avxdone:
	VMOVMSKPS Y10, AX
	VZEROUPPER
	TESTL    AX, AX
	SETNE    ret+56(FP)
	RET

DATA isoPermAVX2<>+0(SB)/4, $0
DATA isoPermAVX2<>+4(SB)/4, $4
DATA isoPermAVX2<>+8(SB)/4, $1
DATA isoPermAVX2<>+12(SB)/4, $5
DATA isoPermAVX2<>+16(SB)/4, $2
DATA isoPermAVX2<>+20(SB)/4, $6
DATA isoPermAVX2<>+24(SB)/4, $3
DATA isoPermAVX2<>+28(SB)/4, $7
GLOBL isoPermAVX2<>(SB), RODATA|NOPTR, $32

// func isoCPUHasAVX2() bool
//
// CPUID leaf 0: the highest leaf is at least 7 (else leaf 7's answer is another leaf's data);
// leaf 1: ECX bit 27 (OSXSAVE) and bit 28 (AVX); XGETBV: the OS saves the XMM and YMM state
// (XCR0 bits 1 and 2); leaf 7: EBX bit 5 (AVX2). CPUID writes AX, BX, CX, DX.
TEXT ·isoCPUHasAVX2(SB), NOSPLIT, $0-1
	XORL AX, AX
	XORL CX, CX
	CPUID
	CMPL AX, $7
	JB   noavx
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX
	CMPL CX, $0x18000000
	JNE  noavx
	XORL CX, CX
	XGETBV
	ANDL $6, AX
	CMPL AX, $6
	JNE  noavx
	MOVL $7, AX
	XORL CX, CX
	CPUID
	SHRL $5, BX
	ANDL $1, BX
	MOVB BX, ret+0(FP)
	RET
noavx:
	MOVB $0, ret+0(FP)
	RET
