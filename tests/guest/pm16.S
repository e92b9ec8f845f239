/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16-bit protected mode: code segments with D = 0.  Default 16-bit
 * operands and addresses, prefixes to 32 bits, selectors with bases,
 * far calls between 16-bit segments and into a 32-bit segment, and an
 * exception taken from 16-bit code through a 32-bit interrupt gate.
 */
#define	GUEST_NAME	"pm16"
#include "lib.inc"
#include "lowlib.inc"

#define	SEL_D16B	(SEL_USER0 + 0x00)	/* data16, base 0x20000 */
#define	SEL_C16B	(SEL_USER0 + 0x08)	/* code16, base 0x2000 */

	.text
test_main:
	movl	$SEL_D16B, %eax
	movl	$0x20000, %ebx
	movl	$0xffff, %ecx
	movl	$0x0093, %edx
	call	gdt_set
	movl	$SEL_C16B, %eax
	movl	$0x2000, %ebx
	movl	$0x009b, %edx
	call	gdt_set
	movl	$0, 0x20020
	movl	$pm16_tests, %eax
	call	call_pm16
	EXPECT	0x20020, $0x1234abcd, "writes through a based 16-bit selector"
	call	report_table
	ret

/* Called from 16-bit code with a 32-bit far call (66 9A). */
far32_fn:
	movl	4(%esp), %ebx		/* caller's CS */
	movl	$0x32323232, %eax
	lret

	.section .low, "awx"
	.code16
pm16_tests:
	movl	%cr0, %eax
	andl	$1, %eax
	RECORD	%eax, $1, "CR0.PE is set"
	movw	%cs, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $SEL_CODE16, "CS = 16-bit code selector"

	/* Default operand size is 16: push moves SP by 2. */
	movl	%esp, %ebx
	pushw	$1
	movl	%esp, %ecx
	popw	%ax
	subl	%ecx, %ebx
	RECORD	%ebx, $2, "push imm16 in 16-bit code"
	movl	%esp, %ebx
	pushl	$1
	movl	%esp, %ecx
	popl	%eax
	subl	%ecx, %ebx
	RECORD	%ebx, $4, "pushl with operand-size prefix"
	movl	$0xffff, %eax
	addw	$1, %ax
	setc	%bl
	movzbl	%bl, %ebx
	RECORD	%eax, $0, "16-bit add wraps"
	RECORD	%ebx, $1, "16-bit add: CF"
	movl	$0x7fffffff, %eax
	addl	$1, %eax
	seto	%bl
	movzbl	%bl, %ebx
	RECORD	%ebx, $1, "32-bit add with prefix: OF"

	/* A data selector with base 0x20000. */
	movw	$SEL_D16B, %ax
	movw	%ax, %es
	movw	$0xabcd, %es:0x20
	movw	$0x1234, %es:0x22
	movw	$SEL_DATA32, %ax
	movw	%ax, %fs
	movl	$0x20020, %esi
	addr32 movl %fs:(%esi), %eax
	RECORD	%eax, $0x1234abcd, "read back through a flat selector"
	movw	$SEL_DATA16, %ax
	movw	%ax, %es

	/* Far call to a 16-bit code segment based at 0x2000. */
	lcall	$SEL_C16B, $(based16_fn - 0x2000)
	RECORD	%eax, $(based16_ret - 0x2000), "based 16-bit segment: IP"
	RECORD	%ebx, $SEL_C16B, "based 16-bit segment: CS"

	/* 32-bit far call from 16-bit code into a 32-bit segment. */
	lcalll	$SEL_CODE32, $far32_fn
	RECORD	%eax, $0x32323232, "far call into 32-bit code"
	andl	$0xffff, %ebx
	RECORD	%ebx, $SEL_CODE16, "32-bit far call pushed CS"

	/* An exception in 16-bit code, handled by a 32-bit gate. */
	movw	$SEL_DATA32, %ax
	movw	%ax, %fs
	addr32 movl $0xffffffff, %fs:exc_vector
	addr32 movl $1f, %fs:exc_resume
	xorw	%cx, %cx
	movw	$1, %ax
	xorw	%dx, %dx
	divw	%cx
1:	addr32 movl %fs:exc_vector, %eax
	RECORD	%eax, $0, "#DE from 16-bit code"
	movw	%cs, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $SEL_CODE16, "iret back to the 16-bit segment"
	movw	$SEL_DATA16, %ax
	movw	%ax, %fs
	ret

based16_fn:
	call	1f
1:	popw	%ax
	movzwl	%ax, %eax
	movw	%cs, %bx
	movzwl	%bx, %ebx
	lret
based16_ret = 1b
	.code32
	.text
