/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An idle guest for bench/idle.sh: every vCPU it starts (here just the
 * BSP) sits in "sti; hlt" while the LAPIC timer interrupts it 100 times
 * a second, as an idle kernel with a periodic tick does.  It never ends:
 * the script stops it with SIGTERM.
 */
#define	GUEST_NAME	"idle"
#include "lib.inc"
#include "smplib.inc"

	.text
irq_tick:
	incl	ticks
	movl	$0, LAPIC_EOI
	iret

test_main:
	call	idt256_init
	movl	$0x30, %eax
	movl	$irq_tick, %ebx
	call	set_gate
	movl	$0x1ff, LAPIC_SVR
	movl	$0x0b, LAPIC_TMR_DCR		/* divide by 1 */
	movl	$0x20030, LAPIC_LVT_TMR		/* periodic, vector 0x30 */
	movl	$1342177, LAPIC_TMR_ICR		/* 128 MiHz / 100 */
	PUTS	"# idle: ticking at 100 Hz\n"
	sti
1:	hlt
	jmp	1b

	.data
ticks:	.long	0
