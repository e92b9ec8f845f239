/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The local APIC through MSRs (run with -x, x86.x2apic=true): CPUID
 * advertises x2APIC and the TSC-deadline timer; IA32_APIC_BASE.EXTD
 * switches to x2APIC mode (SDM Vol 3A 10.12.1); the ID, version and
 * self-IPI registers work as MSRs 0x802, 0x803 and 0x83F; the xAPIC page
 * is no longer decoded; a TSC-deadline interrupt arrives (10.5.4.1).
 */
#define	GUEST_NAME	"x2apic"
#include "lib.inc"
#include "smplib.inc"

#define	MSR_APIC_BASE	0x1b
#define	MSR_TSC_DEADLINE 0x6e0
#define	X2_ID		0x802
#define	X2_VER		0x803
#define	X2_EOI		0x80b
#define	X2_SVR		0x80f
#define	X2_LVT_TMR	0x832
#define	X2_SELF_IPI	0x83f
#define	V_SELF		0x50
#define	V_TMR		0x51

	.text
irq_self:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	incl	self_count
	movl	$X2_EOI, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

irq_tmr:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	incl	tmr_count
	movl	$X2_EOI, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

test_main:
	movl	$1, %eax
	cpuid
	movl	%ecx, %eax
	andl	$(1 << 21), %eax
	EXPECT	%eax, $(1 << 21), "CPUID.1:ECX.x2APIC with -x"
	andl	$(1 << 24), %ecx
	EXPECT	%ecx, $(1 << 24), "CPUID.1:ECX.TSC-deadline"
	call	idt256_init
	movl	$V_SELF, %eax
	movl	$irq_self, %ebx
	call	set_gate
	movl	$V_TMR, %eax
	movl	$irq_tmr, %ebx
	call	set_gate

	movl	$MSR_APIC_BASE, %ecx
	rdmsr
	movl	%eax, %ebx
	andl	$0xfffff000, %eax
	EXPECT	%eax, $0xfee00000, "APIC base 0xFEE00000"
	movl	%ebx, %eax
	andl	$0x900, %eax
	EXPECT	%eax, $0x900, "APIC enabled, BSP"
	orl	$(1 << 10), %ebx	/* EXTD: x2APIC mode */
	movl	%ebx, %eax
	wrmsr
	rdmsr
	andl	$(1 << 10), %eax
	EXPECT	%eax, $(1 << 10), "x2APIC mode entered"
	movl	$X2_ID, %ecx
	rdmsr
	EXPECT	%eax, $0, "x2APIC ID of the BSP is 0"
	movl	$X2_VER, %ecx
	rdmsr
	andl	$0xff, %eax
	EXPECT	%eax, $0x10, "x2APIC version 0x10"
	movl	LAPIC_ID, %eax
	EXPECT	%eax, $0xffffffff, "xAPIC page not decoded in x2APIC mode"
	movl	$X2_SVR, %ecx
	movl	$0x1ff, %eax
	xorl	%edx, %edx
	wrmsr

	/* Self IPI. */
	movl	$0, self_count
	sti
	movl	$X2_SELF_IPI, %ecx
	movl	$V_SELF, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$self_count, %esi
	movl	$1, %edi
	movl	$1000, %ecx
	call	wait_eq
	cli
	EXPECT	%eax, $1, "x2APIC self IPI"

	/* TSC deadline 5 ms ahead (the TSC rate: CPUID leaf 0x15). */
	movl	$X2_LVT_TMR, %ecx
	movl	$(2 << 17) | V_TMR, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$0x15, %eax
	cpuid				/* ECX = TSC Hz (crystal, 1:1) */
	movl	%ecx, %eax
	xorl	%edx, %edx
	movl	$200, %ebx
	divl	%ebx			/* 5 ms of TSC ticks */
	movl	%eax, %ebx
	rdtsc
	addl	%ebx, %eax
	adcl	$0, %edx
	movl	$MSR_TSC_DEADLINE, %ecx
	wrmsr
	sti
	movl	$tmr_count, %esi
	movl	$1, %edi
	movl	$2000, %ecx
	call	wait_eq
	movl	$20, %ecx
	call	delay_ms
	cli
	EXPECT	tmr_count, $1, "TSC-deadline interrupt, once"
	movl	$MSR_TSC_DEADLINE, %ecx
	rdmsr
	orl	%edx, %eax
	EXPECT	%eax, $0, "IA32_TSC_DEADLINE reads 0 after it fired"
	ret

	.data
	.p2align 2
self_count:	.long	0
tmr_count:	.long	0
