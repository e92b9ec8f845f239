/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timer interrupts at the rates programmed, counted over a 500 ms window
 * timed with the ACPI PM timer, within +-30% (a loaded host can delay a
 * vCPU past a period: the pending interrupt then absorbs a tick, as on
 * hardware; slow rates keep that rare):
 *   - 8254 channel 0 at 20 Hz through the 8259 (LAPIC still disabled,
 *     so the 8259's INTR reaches the CPU as ExtINT);
 *   - the same through IOAPIC pin 2 (8259 masked, LAPIC enabled);
 *   - the LAPIC timer, periodic, 20 Hz (bus clock 128 MiHz, divide 1);
 *   - HPET timer 0, periodic, 20 Hz, IOAPIC pin 24;
 *   - RTC periodic interrupt at 16 Hz (rate select 12), IOAPIC pin 8;
 * and a level-triggered IOAPIC interrupt (HPET timer 1, level, pin 25):
 * Remote IRR is set while it is in service, an EOI with the line still
 * asserted delivers it again, and after the source is cleared and EOIed
 * Remote IRR is clear (82093AA datasheet 3.2.4, HPET 1.0a 2.3.6).
 */
#define	GUEST_NAME	"timers"
#include "lib.inc"
#include "smplib.inc"

#define	V_PIT		0x20
#define	V_PIT_IO	0x21
#define	V_LAPIC		0x22
#define	V_HPET		0x23
#define	V_RTC		0x25
#define	V_LEVEL		0x26
#define	WINDOW_MS	500

	/* EXPECT lo <= reg <= hi, printing the count first. */
	.macro	EXPECT_RANGE reg, lo, hi, what
	PUTDEC_LINE "\what:", \reg
	xorl	%edx, %edx
	cmpl	$\lo, \reg
	jb	9201f
	cmpl	$\hi, \reg
	ja	9201f
	movl	$1, %edx
9201:	EXPECT	%edx, $1, "\what"
	.endm

	.text
/* Count interrupts for WINDOW_MS with IF = 1; %eax = count. */
count_window:
	movl	$0, ticks
	sti
	movl	$WINDOW_MS, %ecx
	call	delay_ms
	cli
	movl	ticks, %eax
	ret

irq_pic:
	pushl	%eax
	incl	ticks
	movb	$0x20, %al		/* non-specific EOI */
	outb	%al, $0x20
	popl	%eax
	iret

irq_apic:
	incl	ticks
	movl	$0, LAPIC_EOI
	iret

irq_rtc:
	pushl	%eax
	incl	ticks
	movb	$0x0c, %al		/* read register C: acknowledge */
	outb	%al, $0x70
	inb	$0x71, %al
	movl	$0, LAPIC_EOI
	popl	%eax
	iret

irq_level:
	pushl	%eax
	pushl	%ebx
	incl	lvl_count
	movl	$0x10 + 2 * 25, %eax	/* RTE 25 low: Remote IRR bit 14 */
	call	ioapic_read
	shrl	$14, %eax
	andl	$1, %eax
	orl	%eax, lvl_rirr
	cmpl	$1, lvl_count
	je	1f			/* first time: leave the line up */
	movl	$0x2, HPET + 0x20	/* clear timer 1's status */
1:	movl	$0, LAPIC_EOI
	popl	%ebx
	popl	%eax
	iret

/* RTE `pin` = vector, edge, fixed, physical destination APIC 0. */
	.macro	RTE pin, low
	movl	$0x11 + 2 * \pin, %eax
	xorl	%ebx, %ebx
	call	ioapic_write
	movl	$0x10 + 2 * \pin, %eax
	movl	\low, %ebx
	call	ioapic_write
	.endm

test_main:
	call	idt256_init
	movl	$V_PIT, %eax
	movl	$irq_pic, %ebx
	call	set_gate
	movl	$V_PIT_IO, %eax
	movl	$irq_apic, %ebx
	call	set_gate
	movl	$V_LAPIC, %eax
	call	set_gate
	movl	$V_HPET, %eax
	call	set_gate
	movl	$V_RTC, %eax
	movl	$irq_rtc, %ebx
	call	set_gate
	movl	$V_LEVEL, %eax
	movl	$irq_level, %ebx
	call	set_gate

	/* 8259 pair: ICW1-4, vectors 0x20/0x28, only IRQ0 unmasked. */
	movb	$0x11, %al
	outb	%al, $0x20
	outb	%al, $0xa0
	movb	$V_PIT, %al
	outb	%al, $0x21
	movb	$0x28, %al
	outb	%al, $0xa1
	movb	$0x04, %al
	outb	%al, $0x21
	movb	$0x02, %al
	outb	%al, $0xa1
	movb	$0x01, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movb	$0xfe, %al
	outb	%al, $0x21
	movb	$0xff, %al
	outb	%al, $0xa1
	/* 8254 channel 0: mode 2, divisor 59659 (0xE90B) = 20 Hz. */
	movb	$0x34, %al
	outb	%al, $0x43
	movb	$0x0b, %al
	outb	%al, $0x40
	movb	$0xe9, %al
	outb	%al, $0x40
	call	count_window
	EXPECT_RANGE %eax, 7, 13, "PIT 20 Hz via 8259"

	/* Through the IOAPIC: 8259 masked, LAPIC on. */
	movb	$0xff, %al
	outb	%al, $0x21
	movl	$0x1ff, LAPIC_SVR
	RTE	2, $V_PIT_IO
	call	count_window
	EXPECT_RANGE %eax, 7, 13, "PIT 20 Hz via IOAPIC pin 2"
	RTE	2, $0x10000		/* masked */
	movb	$0x30, %al		/* channel 0 mode 0: stop ticking */
	outb	%al, $0x43

	/* LAPIC timer: periodic, divide by 1, 128 MiHz / 6710886. */
	movl	$0x0b, LAPIC_TMR_DCR
	movl	$0x20000 | V_LAPIC, LAPIC_LVT_TMR
	movl	$6710886, LAPIC_TMR_ICR
	call	count_window
	EXPECT_RANGE %eax, 7, 13, "LAPIC timer periodic 20 Hz"
	movl	$0x10000, LAPIC_LVT_TMR
	movl	$0, LAPIC_TMR_ICR

	/* HPET timer 0: periodic 2^24 / 838861 Hz, IOAPIC pin 24. */
	movl	HPET + 0x104, %eax	/* Tn_INT_ROUTE_CAP, bits 63:32 */
	andl	$(1 << 24), %eax
	EXPECT	%eax, $(1 << 24), "HPET timer 0 can use IOAPIC pin 24"
	movl	$0, HPET + 0x10		/* halt */
	movl	$0, HPET + 0xf0
	movl	$0, HPET + 0xf4
	movl	$(24 << 9) | (1 << 6) | (1 << 3) | (1 << 2), HPET + 0x100
	movl	$838861, HPET + 0x108
	RTE	24, $V_HPET
	movl	$1, HPET + 0x10		/* go */
	call	count_window
	EXPECT_RANGE %eax, 7, 13, "HPET periodic 20 Hz via IOAPIC pin 24"
	movl	$0, HPET + 0x100
	RTE	24, $0x10000

	/* RTC periodic: 32768 >> (12 - 1) = 16 Hz. */
	RTE	8, $V_RTC
	movb	$0x0a, %al
	outb	%al, $0x70
	movb	$0x2c, %al
	outb	%al, $0x71
	movb	$0x0b, %al
	outb	%al, $0x70
	inb	$0x71, %al
	orb	$0x40, %al		/* PIE */
	movb	%al, %ah
	movb	$0x0b, %al
	outb	%al, $0x70
	movb	%ah, %al
	outb	%al, $0x71
	movb	$0x0c, %al
	outb	%al, $0x70
	inb	$0x71, %al
	call	count_window
	EXPECT_RANGE %eax, 5, 11, "RTC periodic 16 Hz via IOAPIC pin 8"
	movb	$0x0b, %al
	outb	%al, $0x70
	inb	$0x71, %al
	andb	$~0x40, %al
	movb	%al, %ah
	movb	$0x0b, %al
	outb	%al, $0x70
	movb	%ah, %al
	outb	%al, $0x71
	RTE	8, $0x10000

	/* Level: HPET timer 1 one-shot in 1 ms, level, IOAPIC pin 25. */
	movl	$0, lvl_count
	movl	$0, lvl_rirr
	RTE	25, $(1 << 15) | V_LEVEL
	movl	$(25 << 9) | (1 << 2) | (1 << 1), HPET + 0x120
	movl	HPET + 0xf0, %eax
	addl	$16777, %eax
	movl	%eax, HPET + 0x128
	sti
	movl	$lvl_count, %esi
	movl	$2, %edi
	movl	$3000, %ecx
	call	wait_eq
	movl	$20, %ecx		/* no third delivery */
	call	delay_ms
	cli
	EXPECT	lvl_count, $2, "level interrupt redelivered after EOI while asserted"
	EXPECT	lvl_rirr, $1, "Remote IRR set while in service"
	movl	$0x10 + 2 * 25, %eax
	call	ioapic_read
	andl	$(1 << 14), %eax
	EXPECT	%eax, $0, "Remote IRR clear after the last EOI"
	movl	HPET + 0x20, %eax
	andl	$2, %eax
	EXPECT	%eax, $0, "HPET status bit cleared"
	movl	$0, HPET + 0x120
	movl	$0, HPET + 0x10
	RTE	25, $0x10000
	ret

	.data
	.p2align 2
ticks:		.long	0
lvl_count:	.long	0
lvl_rirr:	.long	0
