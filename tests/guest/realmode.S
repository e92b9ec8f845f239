/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Real mode: leave protected mode (SDM Vol 3 9.9.2), run 16-bit code with
 * segment arithmetic, 16-bit addressing forms (BP defaults to SS, 16-bit
 * wrap), operand- and address-size prefixes, 16-bit ALU/MUL/DIV, string
 * instructions, LOOP on CX, far call/return, INT through the IVT, then
 * come back to protected mode and report.  Also prints from real mode.
 */
#define	GUEST_NAME	"realmode"
#include "lib.inc"
#include "lowlib.inc"

#define	SCR_SEG		0x2000		/* scratch at linear 0x20000 */

	.text
test_main:
	movl	$rm_tests, %eax
	call	call_real
	EXPECT	rm_done, $0x600d, "real mode ran and returned"
	call	report_table
	/* A second round trip: the transitions are repeatable. */
	movl	$rm_second, %eax
	call	call_real
	call	report_table
	movl	%cr0, %eax
	andl	$1, %eax
	EXPECT	%eax, $1, "back in protected mode"
	ret

	.section .low, "awx"
	.code16
rm_tests:
	movw	$rm_hello, %si
	call	puts16
	movl	%cr0, %eax
	andl	$1, %eax
	RECORD	%eax, $0, "CR0.PE is clear"
	movw	%cs, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $0, "CS = 0"

	/* Segment arithmetic: linear = segment * 16 + offset. */
	movw	$SCR_SEG, %ax
	movw	%ax, %es
	movw	$0x1234, %es:0x10
	movw	$SCR_SEG + 1, %ax
	movw	%ax, %ds
	movw	0, %bx
	xorw	%ax, %ax
	movw	%ax, %ds
	movzwl	%bx, %ebx
	RECORD	%ebx, $0x1234, "segment * 16 + offset"
	movw	$SCR_SEG, %ax
	movw	%ax, %ds
	movl	$0x10, %esi
	addr32 movw (%esi), %cx
	xorw	%ax, %ax
	movw	%ax, %ds
	movzwl	%cx, %ecx
	RECORD	%ecx, $0x1234, "address-size prefix: 32-bit address"

	/* BP-based addressing defaults to SS; BX-based to DS. */
	movw	$0x5555, 0x600		/* DS = SS = 0: linear 0x600 */
	movw	$0xaaaa, %es:0x600	/* linear 0x20600 */
	movw	$SCR_SEG, %ax
	movw	%ax, %ds
	movw	$0x600, %bp
	movw	(%bp), %ax
	movw	$0x600, %bx
	movw	(%bx), %cx
	xorw	%dx, %dx
	movw	%dx, %ds
	movzwl	%ax, %eax
	movzwl	%cx, %ecx
	RECORD	%eax, $0x5555, "[bp] uses SS"
	RECORD	%ecx, $0xaaaa, "[bx] uses DS"
	movw	$0x5f0, %bx
	movw	$0x8, %si
	movw	0x8(%bx,%si), %ax
	movzwl	%ax, %eax
	RECORD	%eax, $0x5555, "[bx+si+disp8]"
	movw	$0xfff0, %bx
	movw	$0x20, %si
	leaw	0x10(%bx,%si), %ax
	movzwl	%ax, %eax
	RECORD	%eax, $0x20, "16-bit effective address wraps"

	/* 16-bit ALU and flags. */
	movw	$0x7fff, %ax
	addw	$1, %ax
	pushfw
	popw	%dx
	andw	$0x8d5, %dx
	movzwl	%ax, %eax
	movzwl	%dx, %edx
	RECORD	%eax, $0x8000, "addw 0x7fff + 1"
	RECORD	%edx, $0x894, "addw flags: OF SF AF PF"
	movw	$0x1234, %ax
	movw	$0x5678, %cx
	mulw	%cx
	movzwl	%ax, %eax
	movzwl	%dx, %edx
	RECORD	%edx, $0x0626, "mulw: DX"
	RECORD	%eax, $0x0060, "mulw: AX"
	movw	$0x0005, %dx
	movw	$0x1234, %ax
	movw	$0x100, %cx
	divw	%cx
	movzwl	%ax, %eax
	movzwl	%dx, %edx
	RECORD	%eax, $1298, "divw: quotient"
	RECORD	%edx, $52, "divw: remainder"
	movw	$0x8000, %ax
	cwtd
	movzwl	%dx, %edx
	RECORD	%edx, $0xffff, "cwd"
	movw	$0x00f0, %ax
	shlw	$4, %ax
	sarw	$8, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $0x000f, "shl/sar 16-bit"
	movl	$0x12345678, %eax
	addl	$0x11111111, %eax
	RECORD	%eax, $0x23456789, "operand-size prefix: 32-bit add"
	movl	$0xffff0001, %eax
	incw	%ax
	RECORD	%eax, $0xffff0002, "incw leaves the high half"

	/* LOOP uses CX, not ECX, with a 16-bit address size. */
	movl	$0x10003, %ecx
	xorw	%ax, %ax
1:	incw	%ax
	loop	1b
	movzwl	%ax, %eax
	RECORD	%eax, $3, "loop counts CX"
	RECORD	%ecx, $0x10000, "loop leaves ECX high half"

	/* String instructions with SI/DI. */
	xorw	%ax, %ax
	movw	%ax, %es
	movw	$rm_str, %si
	movw	$0x700, %di
	movw	$4, %cx
	cld
	rep movsw
	movl	0x700, %eax
	RECORD	%eax, $0x64636261, "rep movsw"
	movzwl	%di, %edi
	RECORD	%edi, $0x708, "rep movsw: DI"
	movw	$0x700, %di
	movb	$'c', %al
	movw	$8, %cx
	repne scasb
	movzwl	%di, %edi
	RECORD	%edi, $0x703, "repne scasb"

	/* Stack: PUSHA/POPA, segment registers, PUSHF. */
	movw	$0x1111, %ax
	movw	$0x2222, %bx
	pushaw
	xorw	%ax, %ax
	xorw	%bx, %bx
	popaw
	movzwl	%ax, %eax
	movzwl	%bx, %ebx
	RECORD	%ebx, $0x2222, "pushaw/popaw"
	movw	$SCR_SEG, %ax
	movw	%ax, %es
	pushw	%es
	popw	%fs
	movw	%fs, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $SCR_SEG, "push es / pop fs"
	xorw	%ax, %ax
	movw	%ax, %es
	movw	%ax, %fs

	/* Far call and return within real mode. */
	lcall	$0, $rm_far_fn
rm_far_ret:
	RECORD	%eax, $0, "far call pushes CS = 0"
	RECORD	%ebx, $rm_far_ret, "far call pushes IP"

	/* INT through the interrupt vector table. */
	movw	$rm_int_handler, 0x80 * 4
	movw	$0, 0x80 * 4 + 2
	xorl	%eax, %eax
	int	$0x80
rm_after_int:
	RECORD	%eax, $0x4242, "int 0x80 through the IVT"
	movzwl	%cx, %ecx
	RECORD	%ecx, $rm_after_int, "int pushes the next IP"
	movzwl	%dx, %edx
	andl	$0x200, %edx
	RECORD	%edx, $0, "int clears IF in the handler"

	movw	$rm_bye, %si
	call	puts16
	movl	$0x600d, rm_done
	ret

rm_far_fn:
	movw	%sp, %bp
	movzwl	2(%bp), %eax
	movzwl	(%bp), %ebx
	lret

rm_int_handler:
	movw	%sp, %bp
	movw	(%bp), %cx		/* IP */
	pushfw
	popw	%dx
	movl	$0x4242, %eax
	iret

rm_second:
	movw	%ss, %ax
	movzwl	%ax, %eax
	RECORD	%eax, $0, "second entry: SS = 0"
	movw	$0xfffe, %ax
	addw	$3, %ax
	setc	%bl
	movzbl	%bl, %ebx
	RECORD	%ebx, $1, "second entry: 16-bit carry"
	ret

rm_hello:	.asciz	"# hello from real mode\n"
rm_bye:		.asciz	"# leaving real mode\n"
rm_str:		.ascii	"abcdefgh"
	.p2align 2
rm_done:	.long	0
	.code32
	.text
