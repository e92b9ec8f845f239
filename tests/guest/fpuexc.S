/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x87/SSE exception delivery in 32-bit protected mode (SDM Vol 3 2.5,
 * 6.15, 13.1): #NM from CR0.TS for x87, SSE and WAIT (lazy FPU switch:
 * CLTS in between and the instruction runs), #MF for a pending unmasked
 * x87 exception at the next waiting instruction (CR0.NE = 1), cleared by
 * FNCLEX; #XM for an unmasked SIMD exception (#UD without
 * CR4.OSXMMEXCPT) with the destination left unchanged; CPUID.OSXSAVE,
 * XGETBV/XSETBV and the XSAVE header.  QEMU TCG raises no SIMD
 * exceptions and no repeated #MF: those checks are _NQ.
 * With CR0.NE = 0 (SDM Vol 1 8.7, MS-DOS compatibility) the pending
 * exception asserts FERR# instead: IRQ13 through the 8259, released by
 * FNCLEX and the OUT to port 0xF0 in the handler.
 */
#define	GUEST_NAME	"fpuexc"
#include "lib.inc"

	.text
test_main:
	movl	%cr0, %eax
	andl	$~0x4, %eax		/* EM = 0 */
	orl	$0x22, %eax		/* MP, NE */
	movl	%eax, %cr0
	movl	%cr4, %eax
	orl	$0x600, %eax		/* OSFXSR, OSXMMEXCPT */
	movl	%eax, %cr4
	call	t_nm
	call	t_mf
	call	t_ferr
	call	t_xm
	call	t_xsave
	ret

/* Lazy switching: every FP/SIMD instruction faults #NM until CLTS. */
t_nm:
	fninit
	movl	%cr0, %eax
	orl	$0x8, %eax		/* TS */
	movl	%eax, %cr0
	EXPECT_FAULT 1f
	fld1
1:	EXPECT_VEC 7, "fld1 with CR0.TS: #NM"
	EXPECT_FAULT 1f
	addps	%xmm1, %xmm0
1:	EXPECT_VEC 7, "addps with CR0.TS: #NM"
	EXPECT_FAULT 1f
	fwait
1:	EXPECT_VEC 7, "fwait with CR0.TS and MP: #NM"
	EXPECT_FAULT 1f
	fxsave	fxarea
1:	EXPECT_VEC 7, "fxsave with CR0.TS: #NM"
	clts
	fld1
	fistpl	ival
	EXPECT	ival, $1, "after CLTS the x87 runs"
	ret

/* 1/0 with ZM clear: ZE, ES pending; FWAIT/FLD then #MF. */
t_mf:
	fninit
	movw	$0x037b, cw
	fldcw	cw
	fldz
	fld1
	fdivp				/* pending #Z, no fault yet */
	fnstsw	%ax
	movzwl	%ax, %eax
	andl	$0x80ff, %eax
	EXPECT	%eax, $0x8084, "fdiv by zero: ZE ES B"
	EXPECT_FAULT 1f
	fwait
1:	EXPECT_VEC 16, "fwait with pending #Z: #MF"
	EXPECT_FAULT 1f
	fld1
1:	EXPECT_VEC_NQ 16, "fld1 with pending #Z: #MF"
	fnclex
	fwait
	fnstsw	%ax
	movzwl	%ax, %eax
	andl	$0x80ff, %eax
	EXPECT	%eax, $0, "fnclex clears ES"
	fninit
	ret

/*
 * IRQ13 handler (slave 8259 IRQ5 at vector 0x1d): count, clear the
 * exception, release FERR# (OUT 0xF0), EOI both 8259s.
 */
irq13:
	pushl	%eax
	incl	irq13_count
	fnclex
	xorl	%eax, %eax
	outb	%al, $0xf0
	movb	$0x20, %al
	outb	%al, $0xa0
	outb	%al, $0x20
	popl	%eax
	iret

/*
 * CR0.NE = 0: 1/0 with ZM clear, then FWAIT raises IRQ13, not #MF.
 * QEMU TCG (the version checked against) aborts on FERR# from a vCPU
 * thread: skipped there.
 */
t_ferr:
	cmpb	$0, on_qemu
	je	1f
	SKIP	"FERR#/IRQ13 with CR0.NE = 0", "QEMU TCG aborts on FERR#"
	ret
1:	cli
	movl	$irq13, %eax		/* IDT gate 0x1d: 32-bit interrupt */
	movw	%ax, idt + 0x1d * 8
	shrl	$16, %eax
	movw	%ax, idt + 0x1d * 8 + 6
	/* 8259 pair: master at 0x20 (all masked but the cascade), slave
	 * at 0x18, only IRQ13 unmasked. */
	movb	$0x11, %al
	outb	%al, $0x20
	outb	%al, $0xa0
	movb	$0x20, %al
	outb	%al, $0x21
	movb	$0x18, %al
	outb	%al, $0xa1
	movb	$0x04, %al
	outb	%al, $0x21
	movb	$0x02, %al
	outb	%al, $0xa1
	movb	$0x01, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movb	$0xfb, %al
	outb	%al, $0x21
	movb	$0xdf, %al
	outb	%al, $0xa1
	movl	%cr0, %eax
	andl	$~0x20, %eax		/* NE = 0 */
	movl	%eax, %cr0
	movl	$0, irq13_count
	fninit
	movw	$0x037b, cw
	fldcw	cw
	fldz
	fld1
	fdivp				/* pending #Z */
	sti
	nop
	EXPECT	irq13_count, $0, "pending #Z alone: no IRQ13"
	EXPECT_FAULT 1f
	fwait				/* FERR#: IRQ13, no #MF */
	movl	$1000, %ecx		/* IRQ13 comes at a block boundary */
2:	cmpl	$0, irq13_count
	jne	3f
	loop	2b
3:	movl	$0, exc_resume
1:	cli
	EXPECT	exc_vector, $0xffffffff, "fwait with CR0.NE = 0: no #MF"
	EXPECT	irq13_count, $1, "fwait with CR0.NE = 0: IRQ13"
	fnstsw	%ax
	movzwl	%ax, %eax
	andl	$0x80ff, %eax
	EXPECT	%eax, $0, "IRQ13 handler's fnclex cleared ES"
	sti
	fld1
	fwait
	movl	$1000, %ecx
2:	cmpl	$1, irq13_count
	jne	3f
	loop	2b
3:	cli
	EXPECT	irq13_count, $1, "no second IRQ13 once cleared"
	movb	$0xff, %al		/* mask the 8259s again */
	outb	%al, $0x21
	outb	%al, $0xa1
	movl	%cr0, %eax
	orl	$0x20, %eax		/* NE = 1 */
	movl	%eax, %cr0
	fninit
	ret

/* DIVPS by zero with ZM clear: #XM, XMM0 unchanged, ZE set. */
t_xm:
	movups	vec_one, %xmm0
	xorps	%xmm1, %xmm1
	movl	$0x1d80, mxcsr		/* ZM clear */
	ldmxcsr	mxcsr
	EXPECT_FAULT 1f
	divps	%xmm1, %xmm0
1:	EXPECT_VEC_NQ 19, "divps by zero unmasked: #XM"
	movd	%xmm0, %eax
	EXPECT_NQ %eax, $0x3f800000, "destination unchanged"
	stmxcsr	mxcsr
	EXPECT	mxcsr, $0x1d84, "MXCSR.ZE set"
	movl	%cr4, %eax
	andl	$~0x400, %eax		/* OSXMMEXCPT = 0 */
	movl	%eax, %cr4
	EXPECT_FAULT 1f
	divps	%xmm1, %xmm0
1:	EXPECT_VEC_NQ 6, "without CR4.OSXMMEXCPT: #UD"
	orl	$0x400, %eax
	movl	%eax, %cr4
	movl	$0x1f80, mxcsr
	ldmxcsr	mxcsr
	divps	%xmm1, %xmm0
	movd	%xmm0, %eax
	EXPECT	%eax, $0x7f800000, "masked: +infinity"
	ret

t_xsave:
	movl	$1, %eax
	cpuid
	btl	$26, %ecx
	jc	1f
	SKIP	"XSAVE", "CPUID lacks XSAVE"
	ret
1:	movl	%cr4, %eax
	orl	$0x40000, %eax		/* OSXSAVE */
	movl	%eax, %cr4
	movl	$1, %eax
	cpuid
	shrl	$27, %ecx
	andl	$1, %ecx
	EXPECT	%ecx, $1, "CPUID.1:ECX.OSXSAVE follows CR4"
	xorl	%ecx, %ecx
	xgetbv
	EXPECT	%eax, $1, "XCR0 after reset: x87"
	movl	$3, %eax
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xsetbv
	movl	$0xd, %eax
	xorl	%ecx, %ecx
	cpuid
	EXPECT	%ebx, $576, "CPUID.0xD: XSAVE area for XCR0"
	movl	$-1, %eax
	movl	$-1, %edx
	xsave	xarea
	EXPECT	xarea + 512, $3, "XSTATE_BV = x87 | SSE"
	EXPECT	xarea + 24, $0x1f84, "XSAVE: MXCSR (ZE from t_xm)"
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor	xarea
	EXPECT_FAULT 1f
	movl	$7, %eax		/* AVX: not offered */
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xsetbv
1:	EXPECT_VEC 13, "XSETBV with AVX: #GP"
	ret

	.data
	.p2align 4
vec_one:
	.long	0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000
cw:	.word	0
	.p2align 2
ival:	.long	0
irq13_count:	.long	0
mxcsr:	.long	0
	.bss
	.p2align 6
fxarea:	.space	512
xarea:	.space	1024
