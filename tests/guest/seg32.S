/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 32-bit protected mode segmentation and exceptions: segment loads from
 * the GDT and an LDT, bases and limits (expand-up and expand-down),
 * read-only and null segments, not-present descriptors, and the faults
 * #DE #UD #GP #NP #SS #BP #OF with their error codes (SDM Vol 3 6.15).
 */
#define	GUEST_NAME	"seg32"
#include "lib.inc"

#define	SEL_BASED	(SEL_USER0 + 0x00)	/* base 0x200000, limit 0xfff */
#define	SEL_DOWN	(SEL_USER0 + 0x08)	/* expand-down, limit 0xfff */
#define	SEL_RO		(SEL_USER0 + 0x10)	/* read-only data */
#define	SEL_NP		(SEL_USER0 + 0x18)	/* not present */
#define	SEL_LDT		(SEL_USER0 + 0x20)	/* the LDT */
#define	SEL_CODE_B	(SEL_USER0 + 0x28)	/* code, base 0x1000 */
#define	SEL_PAGES	(SEL_USER0 + 0x30)	/* G=1, limit 0 (4 KiB) */
#define	LDT_SEL0	0x04			/* LDT entry 0, RPL 0 */

#define	SCRATCH		0x200000

	.text
test_main:
	movl	$SEL_BASED, %eax
	movl	$SCRATCH, %ebx
	movl	$0xfff, %ecx
	movl	$0x4093, %edx		/* data r/w, byte granular, 32-bit */
	call	gdt_set
	movl	$SEL_DOWN, %eax
	movl	$0x0097, %edx		/* expand-down r/w, 16-bit (B=0) */
	call	gdt_set
	movl	$SEL_RO, %eax
	movl	$0x4091, %edx		/* read-only */
	call	gdt_set
	movl	$SEL_NP, %eax
	movl	$0x4013, %edx		/* P = 0 */
	call	gdt_set
	movl	$SEL_LDT, %eax
	movl	$ldt, %ebx
	movl	$(2 * 8 - 1), %ecx
	movl	$0x0082, %edx
	call	gdt_set
	movl	$SEL_CODE_B, %eax
	movl	$0x100000, %ebx
	movl	$0xfffff, %ecx
	movl	$0x409b, %edx		/* code, base 1 MiB, 32-bit */
	call	gdt_set
	movl	$SEL_PAGES, %eax
	movl	$SCRATCH, %ebx
	movl	$0, %ecx
	movl	$0xc093, %edx		/* 4 KiB granular: limit 0xfff */
	call	gdt_set

	call	t_base
	call	t_limits
	call	t_null_np
	call	t_ldt
	call	t_codeseg
	call	t_faults
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	ret

t_base:
	movl	$SEL_BASED, %eax
	movl	%eax, %es
	movl	$0xcafe0001, %es:0x10
	EXPECT	SCRATCH + 0x10, $0xcafe0001, "write through based segment"
	movl	$0x12345678, SCRATCH + 0xffc
	movl	%es:0xffc, %eax
	EXPECT	%eax, $0x12345678, "read at the limit"
	movl	%es, %eax
	andl	$0xffff, %eax
	EXPECT	%eax, $SEL_BASED, "mov from segment register"
	movl	$SEL_PAGES, %eax
	movl	%eax, %fs
	movl	%fs:0xffc, %eax
	EXPECT	%eax, $0x12345678, "4 KiB-granular limit"
	movl	$SEL_BASED, %eax
	movl	%eax, %gs
	movl	$0x20, %esi
	movl	$0x55aa55aa, SCRATCH + 0x20
	movl	%gs:(%esi), %ecx
	EXPECT	%ecx, $0x55aa55aa, "gs override"
	/* String instructions use ES for the destination. */
	movl	$SEL_BASED, %eax
	movl	%eax, %es
	movl	$0x40, %edi
	movl	$0x77777777, %eax
	stosl
	EXPECT	SCRATCH + 0x40, $0x77777777, "stos uses ES base"
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	ret

t_limits:
	movl	$SEL_BASED, %eax
	movl	%eax, %es
	EXPECT_FAULT 1f
	movl	%es:0x1000, %eax
1:	EXPECT_VEC_NQ 13, "read past the limit: #GP"
	EXPECT_NQ exc_errcode, $0, "#GP error code 0"
	EXPECT_FAULT 1f
	movl	%es:0xffd, %eax		/* last byte past the limit */
1:	EXPECT_VEC_NQ 13, "dword straddling the limit: #GP"
	movl	$SEL_PAGES, %eax
	movl	%eax, %fs
	EXPECT_FAULT 1f
	movb	%fs:0x1000, %al
1:	EXPECT_VEC_NQ 13, "past a 4 KiB-granular limit: #GP"
	/* Expand-down, B = 0: valid offsets 0x1000..0xffff. */
	movl	$SEL_DOWN, %eax
	movl	%eax, %es
	EXPECT_FAULT 1f
	movl	%es:0x800, %eax
1:	EXPECT_VEC_NQ 13, "expand-down below the limit: #GP"
	movl	$0x4321, SCRATCH + 0x2000
	movl	%es:0x2000, %eax
	EXPECT	%eax, $0x4321, "expand-down above the limit reads"
	EXPECT_FAULT 1f
	movl	%es:0xfffe, %eax
1:	EXPECT_VEC_NQ 13, "expand-down 16-bit upper bound: #GP"
	/* Read-only data. */
	movl	$SEL_RO, %eax
	movl	%eax, %es
	movl	%es:0x10, %eax
	EXPECT	%eax, $0xcafe0001, "read-only segment reads"
	EXPECT_FAULT 1f
	movl	$0, %es:0x10
1:	EXPECT_VEC_NQ 13, "write to read-only segment: #GP"
	EXPECT_NQ SCRATCH + 0x10, $0xcafe0001, "faulting write did not happen"
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	movl	%eax, %fs
	ret

t_null_np:
	xorl	%eax, %eax
	movl	%eax, %es		/* loading null is fine */
	EXPECT_FAULT 1f
	movl	%es:0x10, %eax
1:	EXPECT_VEC_NQ 13, "access through null selector: #GP"
	EXPECT_FAULT 1f
	movl	$SEL_NP, %eax
	movl	%eax, %es
1:	EXPECT_VEC 11, "not-present data segment: #NP"
	EXPECT	exc_errcode, $SEL_NP, "#NP error code = selector"
	EXPECT_FAULT 1f
	movl	$SEL_NP, %eax
	movl	%eax, %ss
1:	EXPECT_VEC 12, "not-present stack segment: #SS"
	EXPECT_FAULT 1f
	movl	$0x1f8, %eax		/* index 63: beyond the GDT limit */
	movl	%eax, %ds
1:	EXPECT_VEC 13, "selector past the GDT limit: #GP"
	EXPECT	exc_errcode, $0x1f8, "#GP error code = selector"
	EXPECT_FAULT 1f
	xorl	%eax, %eax
	movl	%eax, %ss
1:	EXPECT_VEC 13, "null SS: #GP"
	EXPECT_FAULT 1f
	movl	$SEL_CODE32, %eax
	movl	%eax, %ss
1:	EXPECT_VEC 13, "code segment into SS: #GP"
	EXPECT	exc_errcode, $SEL_CODE32, "#GP error code"
	EXPECT_FAULT 1f
	movl	$SEL_LDT, %eax
	movl	%eax, %es
1:	EXPECT_VEC 13, "system descriptor into ES: #GP"
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	ret

t_ldt:
	movl	$SEL_LDT, %eax
	lldt	%ax
	movl	$LDT_SEL0, %eax
	movl	%eax, %es
	movl	$0xbeef, %es:0x8
	EXPECT	0x300008, $0xbeef, "LDT data segment base"
	EXPECT_FAULT 1f
	movl	$0xc, %eax		/* LDT index 1: not present */
	movl	%eax, %es
	movl	%es:0, %eax
1:	EXPECT_VEC 11, "LDT entry not present: #NP"
	EXPECT	exc_errcode, $0xc, "#NP error code has TI"
	EXPECT_FAULT 1f
	movl	$0x14, %eax		/* LDT index 2: past its limit */
	movl	%eax, %es
1:	EXPECT_VEC 13, "selector past the LDT limit: #GP"
	EXPECT	exc_errcode, $0x14, "#GP error code has TI"
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	ret

t_codeseg:
	/* Far call into a code segment whose base is 1 MiB. */
	lcall	$SEL_CODE_B, $(based_fn - 0x100000)
	EXPECT	%eax, $(based_fn - 0x100000 + 5), "based code segment: EIP"
	/* Readable code segment loads into DS-style registers. */
	movl	$SEL_CODE32, %eax
	movl	%eax, %es
	movl	%es:test_main, %eax
	movl	test_main, %ebx
	EXPECT	%eax, %ebx, "read through readable code segment"
	EXPECT_FAULT 1f
	movl	$0, %es:scratch
1:	EXPECT_VEC_NQ 13, "write through code segment: #GP"
	movl	$SEL_DATA32, %eax
	movl	%eax, %es
	ret

based_fn:
	call	1f			/* 5 bytes */
1:	popl	%eax
	lret

t_faults:
	EXPECT_FAULT 1f
	xorl	%ecx, %ecx
	movl	$1, %eax
	divl	%ecx
1:	EXPECT_VEC 0, "divide by zero: #DE"
	EXPECT_FAULT 1f
	movl	$0x80000000, %eax
	cdq
	movl	$-1, %ecx
	idivl	%ecx
1:	EXPECT_VEC 0, "idiv overflow: #DE"
	EXPECT_FAULT 1f
	movl	$0x10, %edx
	movl	$0, %eax
	movl	$0x10, %ecx
	divl	%ecx
1:	EXPECT_VEC 0, "div quotient too large: #DE"
	EXPECT_FAULT 1f
	ud2
1:	EXPECT_VEC 6, "ud2: #UD"
	EXPECT_FAULT 1f
	.byte	0xf0, 0x01, 0xc3	/* lock add %eax, %ebx */
1:	EXPECT_VEC 6, "lock on a register operand: #UD"
	EXPECT_FAULT 1f
	int3
1:	EXPECT_VEC 3, "int3: #BP"
	EXPECT_FAULT 1f
	movl	$0x7fffffff, %eax
	addl	$1, %eax
	into
1:	EXPECT_VEC 4, "into with OF: #OF"
	movl	$0xffffffff, exc_vector
	movl	$1f, exc_resume
	xorl	%eax, %eax
	into
	movl	$0, exc_resume
1:	EXPECT	exc_vector, $0xffffffff, "into without OF: no trap"
	EXPECT_FAULT 1f
	int	$5
1:	EXPECT_VEC 5, "int 5: software interrupt"
	/* The handler ran with the fault's EIP pushed. */
	movl	$2f, exc_resume
1:	ud2
2:	EXPECT	exc_eip, $1b, "#UD pushes the faulting EIP"
	movl	$2f, exc_resume
1:	int3
2:	movl	$1b + 1, %eax
	EXPECT	exc_eip, %eax, "#BP pushes the next EIP"
	ret

	.data
	.p2align 3
ldt:
	.quad	0x00CF93300000FFFF	/* 0x04: data, base 0x300000 */
	.quad	0x00CF13000000FFFF	/* 0x0c: not present */

	.bss
scratch:
	.space	16
