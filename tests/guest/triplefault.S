/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Triple fault (SDM Vol 3 6.15, interrupt 8): with an empty IDT, INT3
 * faults (#GP: vector beyond the limit), the #GP cannot be delivered
 * (#DF), nor can the #DF: shutdown.  bhyve exits 3.
 */
#define	GUEST_NAME	"triplefault"
#include "lib.inc"
#include "smplib.inc"

	.text
test_main:
	movl	$1, %eax
	EXPECT	%eax, $1, "about to triple fault"
	call	print_summary
	lidt	null_idt
	int3
	PUTS	"not ok - still running after a triple fault\n"
	cli
1:	hlt
	jmp	1b

	.data
	.p2align 2
	.word	0
null_idt:
	.word	0
	.long	0
