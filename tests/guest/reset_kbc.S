/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest reset through the 8042 keyboard controller: self-test, command
 * byte, then command 0xFE pulses the CPU reset line.  bhyve exits 0.
 */
#define	GUEST_NAME	"reset_kbc"
#include "lib.inc"
#include "smplib.inc"

	.text
kbc_wait_in:				/* input buffer empty */
	inb	$0x64, %al
	testb	$0x02, %al
	jnz	kbc_wait_in
	ret

kbc_read:				/* %eax = next output byte */
	movl	$100000, %ecx
1:	inb	$0x64, %al
	testb	$0x01, %al
	jnz	2f
	loop	1b
	movl	$0xffffffff, %eax
	ret
2:	inb	$0x60, %al
	movzbl	%al, %eax
	ret

test_main:
	call	kbc_wait_in
	movb	$0xaa, %al		/* controller self-test */
	outb	%al, $0x64
	call	kbc_read
	EXPECT	%eax, $0x55, "8042 self-test passes"
	inb	$0x64, %al
	andl	$0x04, %eax
	EXPECT	%eax, $0x04, "system flag set"
	call	kbc_wait_in
	movb	$0x20, %al		/* read command byte */
	outb	%al, $0x64
	call	kbc_read
	andl	$0x04, %eax
	EXPECT	%eax, $0x04, "command byte has the system flag"
	call	kbc_wait_in
	movb	$0xd0, %al		/* read output port */
	outb	%al, $0x64
	call	kbc_read
	andl	$0x03, %eax
	EXPECT	%eax, $0x03, "output port: reset line high, A20 on"
	call	print_summary
	call	kbc_wait_in
	movb	$0xfe, %al		/* pulse reset */
	outb	%al, $0x64
	PUTS	"not ok - still running after reset\n"
	cli
1:	hlt
	jmp	1b
