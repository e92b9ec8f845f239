/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU benchmark guest: a multiboot kernel that enters long mode (4-level
 * paging, 2 MiB pages) and runs a fixed integer loop: 64-bit multiply/add
 * (an LCG), shifts and logic, a read-modify-write into a 64 KiB table at
 * a data-dependent index, a data-dependent branch, and a call.  No I/O in
 * the loop.  Then it prints
 *     BENCH iterations=N insns=I checksum=0x...
 * and halts (as the guest tests do: cli; hlt, or isa-debug-exit under
 * QEMU).  N comes from the command line word "iters=N" (default below).
 *
 * Every iteration executes exactly INSNS_PER_ITER instructions whichever
 * way the branch goes, so I = N * INSNS_PER_ITER (+ a few hundred for set
 * up and output, ignored).
 */
#define	GUEST_NAME	"cpu"
#include "lib.inc"
#include "lib64.inc"

#define	INSNS_PER_ITER	19
#define	DEFAULT_ITERS	100000000

#define	MSR_EFER	0xc0000080

	.text
	.code32
test_main:
	call	parse_iters
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$0x100, %eax		/* LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax	/* PG */
	movl	%eax, %cr0
	ljmp	$SEL_CODE64, $bench64

/* iters = the number after "iters=" on the command line, if any. */
parse_iters:
	movl	$DEFAULT_ITERS, iters
	cmpl	$MB_BOOT_MAGIC, mb_magic
	jne	9f
	movl	mb_info, %ebx
	testl	$4, (%ebx)
	jz	9f
	movl	16(%ebx), %esi
1:	cmpb	$0, (%esi)
	je	9f
	cmpl	$0x72657469, (%esi)	/* "iter" */
	jne	2f
	cmpw	$0x3d73, 4(%esi)	/* "s=" */
	je	3f
2:	incl	%esi
	jmp	1b
3:	addl	$6, %esi
	xorl	%eax, %eax
4:	movzbl	(%esi), %edx
	subl	$'0', %edx
	cmpl	$9, %edx
	ja	5f
	imull	$10, %eax, %eax
	addl	%edx, %eax
	incl	%esi
	jmp	4b
5:	movl	%eax, iters
9:	ret

	.code64
bench64:
	movl	$stack_top, %esp
	call	idt64_init
	PUTS64	"BENCH start\n"
	movl	iters(%rip), %ecx
	movl	$0x12345678, %eax
	xorl	%ebx, %ebx
	xorl	%esi, %esi
	leaq	table(%rip), %r8
	movabsq	$6364136223846793005, %r9
	movabsq	$1442695040888963407, %r10
	testq	%rcx, %rcx
	jz	9f
	/* The loop: INSNS_PER_ITER instructions per iteration. */
	.p2align 4
1:	imulq	%r9, %rax		/*  1 */
	addq	%r10, %rax		/*  2 */
	movq	%rax, %rdx		/*  3 */
	shrq	$40, %rdx		/*  4 */
	xorq	%rdx, %rbx		/*  5 */
	andl	$0xfff8, %edx		/*  6 */
	addq	(%r8,%rdx), %rbx	/*  7 */
	movq	%rbx, (%r8,%rdx)	/*  8 */
	testl	$0x100, %edx		/*  9 */
	jz	2f			/* 10 */
	addq	$3, %rsi		/* 11 */
	jmp	3f			/* 12 */
2:	subq	$1, %rsi		/* 11 */
	nop				/* 12 */
3:	call	mix			/* 13, + 4 in mix */
	decq	%rcx			/* 18 */
	jnz	1b			/* 19 */
9:	xorq	%rsi, %rbx
	xorq	%rax, %rbx
	PUTS64	"BENCH iterations="
	movl	iters(%rip), %eax
	call	putdec64
	PUTS64	" insns="
	movl	iters(%rip), %eax
	imulq	$INSNS_PER_ITER, %rax
	call	putdec64
	PUTS64	" checksum="
	movq	%rbx, %rax
	call	puthex64
	PUTS64	"\n"
	jmp	finish64

mix:
	leaq	(%rsi,%rbx), %rdi
	rolq	$5, %rdi
	xorq	%rdi, %rbx
	ret

	.data
iters:	.long	0

	.p2align 12
pml4:
	.long	pdpt + 3, 0
	.fill	511, 8, 0
pdpt:
	.long	pd0 + 3, 0
	.fill	511, 8, 0
pd0:
	.set	i, 0
	.rept	512
	.long	(i << 21) | 0x83, 0
	.set	i, i + 1
	.endr

	.bss
	.p2align 12
table:	.space	65536
	.text
	.code32
