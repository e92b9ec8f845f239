/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest that never ends by itself (tests/tools/run.sh): it prints
 * "spin" on COM1 and counts in a loop, so bhyvectl has a running VM to
 * inspect and stop.  Multiboot v1 kernel, linked with tests/guest/guest.ld.
 */
	.section .multiboot, "a"
	.align	4
	.long	0x1badb002		/* magic (Multiboot 0.6.96 3.1.1) */
	.long	0			/* flags: an ELF, nothing asked */
	.long	-0x1badb002		/* checksum */

	.text
	.globl	_start
_start:
	movw	$0x3f8, %dx
	movl	$msg, %esi
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	xorl	%ecx, %ecx
3:	incl	%ecx
	jmp	3b

	.section .rodata
msg:	.asciz	"spin\n"
