/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI soft-off (ACPI 6.4 7.4.2, 16.1.7): PM1a_CNT at 0x404 reads
 * SCI_EN = 1 (no SMI_CMD, always ACPI mode); SLP_TYP 5 without SLP_EN
 * does nothing, with SLP_EN powers off.  bhyve exits 1.
 */
#define	GUEST_NAME	"poweroff"
#include "lib.inc"
#include "smplib.inc"

	.text
test_main:
	movw	$0x404, %dx
	inw	%dx, %ax
	movzwl	%ax, %eax
	andl	$1, %eax
	EXPECT	%eax, $1, "PM1_CNT.SCI_EN reads 1"
	movw	$(5 << 10), %ax		/* SLP_TYP = 5, no SLP_EN */
	outw	%ax, %dx
	inw	%dx, %ax
	movzwl	%ax, %eax
	andl	$(7 << 10), %eax
	EXPECT	%eax, $(5 << 10), "SLP_TYP reads back, still running"
	/* PM1_STS: write-1-to-clear, PM1_EN read/write. */
	movw	$0x402, %dx
	movw	$0x0100, %ax		/* PWRBTN_EN */
	outw	%ax, %dx
	inw	%dx, %ax
	movzwl	%ax, %eax
	EXPECT	%eax, $0x0100, "PM1_EN.PWRBTN_EN is writable"
	xorl	%eax, %eax
	outw	%ax, %dx
	call	print_summary
	movw	$0x404, %dx
	movw	$(5 << 10) | (1 << 13), %ax	/* S5 + SLP_EN */
	outw	%ax, %dx
	PUTS	"not ok - still running after S5\n"
	cli
1:	hlt
	jmp	1b
