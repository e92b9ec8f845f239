/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x87 and SSE/SSE2 basics in 32-bit protected mode: FNINIT state, loads,
 * arithmetic, rounding of FIST, FCOMI flags; SSE enabled through
 * CR4.OSFXSR, MXCSR default, packed integer ops, scalar double
 * arithmetic with IEEE results checked bit for bit, conversions,
 * unordered compares, MOVAPS alignment, FXSAVE/FXRSTOR.
 */
#define	GUEST_NAME	"fpu"
#include "lib.inc"

/* Compare the 64-bit value at `mem` with hi:lo. */
	.macro	EXPECT64M mem, hi, lo, what
	EXPECT	\mem + 4, $\hi, "\what (high)"
	EXPECT	\mem, $\lo, "\what (low)"
	.endm

	.text
test_main:
	movl	%cr0, %eax
	andl	$~0x4, %eax		/* EM = 0 */
	orl	$0x22, %eax		/* MP, NE */
	movl	%eax, %cr0
	call	t_x87
	movl	$1, %eax
	cpuid
	testl	$(1 << 26), %edx	/* SSE2 */
	jnz	1f
	SKIP	"SSE2", "CPUID lacks SSE2"
	ret
1:	movl	%cr4, %eax
	orl	$0x600, %eax		/* OSFXSR, OSXMMEXCPT */
	movl	%eax, %cr4
	call	t_sse
	ret

t_x87:
	fninit
	fnstcw	cw
	movzwl	cw, %eax
	EXPECT	%eax, $0x037f, "fninit: control word"
	fnstsw	%ax
	movzwl	%ax, %eax
	EXPECT	%eax, $0, "fninit: status word"
	fld1
	fld1
	faddp
	fistpl	ival
	EXPECT	ival, $2, "fld1 + fld1 = 2"
	fildl	ten
	fildl	four
	fdivrp				/* de f9, Intel FDIVP: 10 / 4 */
	fstl	dval
	EXPECT64M dval, 0x40040000, 0x00000000, "10 / 4 = 2.5"
	fistpl	ival
	EXPECT	ival, $2, "fistp 2.5 rounds to even"
	fldl	d3_5
	fistpl	ival
	EXPECT	ival, $4, "fistp 3.5 rounds to even"
	fldl	d2
	fsqrt
	fstpl	dval
	EXPECT64M dval, 0x3ff6a09e, 0x667f3bcd, "fsqrt 2"
	fldl	d2
	fld1
	fcomip	%st(1), %st
	fstp	%st(0)
	setb	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "fcomip 1 < 2 sets CF"
	fldl	d3_5
	fchs
	fabs
	fld1
	fxch
	fsubp				/* de e1, Intel FSUBRP: 3.5 - 1 */
	fstpl	dval
	EXPECT64M dval, 0x40040000, 0x00000000, "fchs fabs fxch fsubrp"
	fnstsw	%ax
	shrw	$11, %ax
	andl	$7, %eax
	EXPECT	%eax, $0, "stack empty again (TOP = 0)"
	ret

t_sse:
	stmxcsr	mxcsr
	EXPECT	mxcsr, $0x1f80, "MXCSR default"
	movdqu	vec_a, %xmm0
	movdqu	vec_b, %xmm1
	paddd	%xmm1, %xmm0
	movdqu	%xmm0, out
	EXPECT	out, $0x11111111, "paddd lane 0"
	EXPECT	out + 12, $0x00000000, "paddd lane 3 wraps"
	pcmpeqb	%xmm2, %xmm2
	movdqu	%xmm2, out
	EXPECT	out + 8, $0xffffffff, "pcmpeqb self = all ones"
	pxor	%xmm2, %xmm2
	movd	%xmm2, %eax
	EXPECT	%eax, $0, "pxor self"
	pshufd	$0x1b, vec_a, %xmm3	/* reverse the dwords */
	movd	%xmm3, %eax
	EXPECT	%eax, $0xffffffff, "pshufd"
	movl	$3, %eax
	cvtsi2sd %eax, %xmm0
	addsd	d0_5, %xmm0
	movsd	%xmm0, dval
	EXPECT64M dval, 0x400c0000, 0x00000000, "cvtsi2sd 3 + 0.5"
	cvttsd2si %xmm0, %eax
	EXPECT	%eax, $3, "cvttsd2si truncates"
	cvtsd2si %xmm0, %eax
	EXPECT	%eax, $4, "cvtsd2si rounds to even"
	movsd	d1, %xmm0
	divsd	d3, %xmm0
	movsd	%xmm0, dval
	EXPECT64M dval, 0x3fd55555, 0x55555555, "1 / 3"
	movsd	d0_1, %xmm0
	addsd	d0_2, %xmm0
	movsd	%xmm0, dval
	EXPECT64M dval, 0x3fd33333, 0x33333334, "0.1 + 0.2"
	sqrtsd	d2, %xmm0
	movsd	%xmm0, dval
	EXPECT64M dval, 0x3ff6a09e, 0x667f3bcd, "sqrtsd 2"
	movss	f1_5, %xmm0
	cvtss2sd %xmm0, %xmm0
	movsd	%xmm0, dval
	EXPECT64M dval, 0x3ff80000, 0x00000000, "cvtss2sd 1.5"
	movsd	dnan, %xmm0
	ucomisd	d1, %xmm0
	setp	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "ucomisd NaN: unordered (PF)"
	movsd	d1, %xmm0
	ucomisd	d2, %xmm0
	setb	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "ucomisd 1 < 2: CF"
	EXPECT_FAULT 1f
	movaps	vec_a + 4, %xmm0
1:	EXPECT_VEC 13, "movaps unaligned: #GP"
	movups	vec_a + 4, %xmm0
	movd	%xmm0, %eax
	EXPECT	%eax, $0x22222222, "movups unaligned"
	/* FXSAVE/FXRSTOR round trip of XMM5. */
	movdqu	vec_b, %xmm5
	fxsave	fxarea
	pxor	%xmm5, %xmm5
	fxrstor	fxarea
	movdqu	%xmm5, out
	EXPECT	out + 4, $0x22222222, "fxsave/fxrstor keeps XMM5"
	EXPECT	fxarea + 240 + 4, $0x22222222, "fxsave: XMM5 at offset 240"
	ret

	.data
	.p2align 4
vec_a:	.long	0x00000000, 0x22222222, 0x33333333, 0xffffffff
vec_b:	.long	0x11111111, 0x22222222, 0x33333333, 0x00000001
	.long	0
ten:	.long	10
four:	.long	4
	.p2align 3
d0_1:	.quad	0x3fb999999999999a
d0_2:	.quad	0x3fc999999999999a
d0_5:	.quad	0x3fe0000000000000
d1:	.quad	0x3ff0000000000000
d2:	.quad	0x4000000000000000
d3:	.quad	0x4008000000000000
d3_5:	.quad	0x400c000000000000
dnan:	.quad	0x7ff8000000000000
f1_5:	.long	0x3fc00000
cw:	.word	0
ival:	.long	0
mxcsr:	.long	0
	.p2align 3
dval:	.quad	0

	.bss
	.p2align 4
out:	.space	16
	.p2align 4
fxarea:	.space	512
