/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest reset through the Reset Control register, port 0xCF9 (ICH10
 * datasheet 13.7.5): writing SYS_RST first does nothing, the 0 -> 1
 * edge of RST_CPU resets.  bhyve exits 0 (reset).
 */
#define	GUEST_NAME	"reset_cf9"
#include "lib.inc"
#include "smplib.inc"

	.text
test_main:
	movw	$0xcf9, %dx
	movb	$0x02, %al		/* SYS_RST only: no reset yet */
	outb	%al, %dx
	inb	%dx, %al
	movzbl	%al, %eax
	EXPECT	%eax, $0x02, "RST_CNT reads back SYS_RST"
	call	print_summary
	movb	$0x06, %al		/* SYS_RST | RST_CPU: hard reset */
	outb	%al, %dx
	/* Not reached: the VM is suspended. */
	PUTS	"not ok - still running after reset\n"
	cli
1:	hlt
	jmp	1b
