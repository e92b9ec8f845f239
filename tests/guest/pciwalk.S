/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI config space as a guest sees it, with -s 0,hostbridge -s 31,lpc
 * -s 3,uart (tests/guest/run.sh): mechanism #1 (PCI Local Bus 3.0
 * 3.2.2.3.2) and ECAM at 0xE0000000 read back the configured devices;
 * BAR sizing; the uart's I/O BAR decodes; the PIRQ router routes its
 * INTA#.  Skipped under QEMU, whose machine has other devices.
 */
#define	GUEST_NAME	"pciwalk"
#include "lib.inc"

#define	CONF1(s, f, r)	(0x80000000 | (s) << 11 | (f) << 8 | (r))
#define	ECAM(s, f, r)	(0xe0000000 | (s) << 15 | (f) << 12 | (r))

	.text
/* cfg_read: %eax = CONF1 address in, dword out. */
cfg_read:
	pushl	%edx
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfc, %dx
	inl	%dx, %eax
	popl	%edx
	ret

/* cfg_write: %eax = CONF1 address, %ecx = value. */
cfg_write:
	pushl	%edx
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfc, %dx
	movl	%ecx, %eax
	outl	%eax, %dx
	popl	%edx
	ret

test_main:
	/* CONFIG_ADDRESS reads back. */
	movl	$CONF1(3, 0, 0x10), %eax
	movw	$0xcf8, %dx
	outl	%eax, %dx
	inl	%dx, %eax
	EXPECT_NQ %eax, $CONF1(3, 0, 0x10), "CONFIG_ADDRESS reads back"

	movl	$CONF1(0, 0, 0), %eax
	call	cfg_read
	EXPECT_NQ %eax, $0x12751275, "0:0.0 is the NetApp host bridge"
	movl	$CONF1(31, 0, 0), %eax
	call	cfg_read
	EXPECT_NQ %eax, $0x70008086, "0:31.0 is the LPC bridge"
	movl	$CONF1(31, 0, 8), %eax
	call	cfg_read
	shrl	$16, %eax
	EXPECT_NQ %eax, $0x0601, "LPC class: bridge, ISA"
	movl	$CONF1(3, 0, 0), %eax
	call	cfg_read
	EXPECT_NQ %eax, $0x2000131f, "0:3.0 is the uart"
	movl	$CONF1(9, 0, 0), %eax
	call	cfg_read
	EXPECT_NQ %eax, $0xffffffff, "absent 0:9.0 reads all-ones"
	/* A word read at 0xCFE: the device ID. */
	movl	$CONF1(31, 0, 0), %eax
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfe, %dx
	xorl	%eax, %eax
	inw	%dx, %ax
	EXPECT_NQ %eax, $0x7000, "word read at 0xCFE"

	/* ECAM, flat 32-bit addressing. */
	movl	ECAM(31, 0, 0), %eax
	EXPECT_NQ %eax, $0x70008086, "ECAM reads the LPC bridge"
	movl	ECAM(9, 0, 0), %eax
	EXPECT_NQ %eax, $0xffffffff, "ECAM: absent function all-ones"
	movl	ECAM(0, 0, 0x100), %eax
	EXPECT_NQ %eax, $0, "ECAM: extended space reads zero"

	/* The uart's BAR 0: I/O, assigned, 8 bytes. */
	movl	$CONF1(3, 0, 0x10), %eax
	call	cfg_read
	movl	%eax, %ebx
	andl	$1, %eax
	EXPECT_NQ %eax, $1, "uart BAR 0 is I/O"
	movl	$CONF1(3, 0, 0x10), %eax
	movl	$0xffffffff, %ecx
	call	cfg_write
	movl	$CONF1(3, 0, 0x10), %eax
	call	cfg_read
	EXPECT_NQ %eax, $0xfffffff9, "uart BAR 0 sizes as 8 bytes"
	movl	$CONF1(3, 0, 0x10), %eax
	movl	%ebx, %ecx
	call	cfg_write
	/* LSR of the uart through its BAR: THRE and TEMT. */
	movl	%ebx, %edx
	andl	$0xfffc, %edx
	addl	$5, %edx
	xorl	%eax, %eax
	inb	%dx, %al
	EXPECT_NQ %eax, $0x60, "uart LSR through the BAR"
	/* INTA#, routed by PIRQD (slot 3) to the IRQ in its line reg. */
	movl	$CONF1(3, 0, 0x3c), %eax
	call	cfg_read
	movl	%eax, %ebx
	shrl	$8, %eax
	andl	$0xff, %eax
	EXPECT_NQ %eax, $1, "uart interrupt pin INTA#"
	movl	$CONF1(31, 0, 0x60), %eax
	call	cfg_read
	shrl	$24, %eax
	andl	$0xff, %ebx
	EXPECT_NQ %eax, %ebx, "PIRQD routes to the uart's line"
	ret
