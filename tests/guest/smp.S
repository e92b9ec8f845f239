/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Four vCPUs (run with -c 4).  The BSP starts the APs with the
 * INIT-SIPI-SIPI sequence (SDM Vol 3A 8.4.4.1) at a real-mode trampoline
 * at 0x3000; each AP enters protected mode, records its APIC ID and
 * joins in:
 *   - spinlock contention: all four vCPUs add 1 to a shared counter
 *     SPIN_ITERS times each under a LOCK CMPXCHG spinlock, with plain
 *     (non-atomic) read-modify-write inside the lock: exact total;
 *   - IPIs: the BSP sends a fixed IPI to each AP by physical APIC ID,
 *     each AP answers with one to the BSP on its own vector (SDM Vol 3A
 *     10.6.1);
 *   - cross-modifying code: APs loop over a function the BSP rewrites
 *     and must see the new instruction (the decoded copy is dropped);
 * then halts with interrupts disabled, so the VM ends halted (exit 2).
 * First it reads the processor count from fw_cfg, as kvm-unit-tests do.
 */
#define	GUEST_NAME	"smp"
#include "lib.inc"
#include "smplib.inc"

#define	NAPS		3
#define	SPIN_ITERS	5000
#define	V_TO_AP		0x40
#define	V_TO_BSP	0x41
#define	AP_STACK	4096

	.text
/* SPIN_ITERS increments of `counter` under `spinlock`. */
spin_work:
	pushal
	movl	$SPIN_ITERS, %ecx
1:	movl	$1, %edx
2:	xorl	%eax, %eax
	lock cmpxchgl %edx, spinlock
	jz	3f
	pause
	jmp	2b
3:	movl	counter, %eax
	incl	%eax
	movl	%eax, counter
	movl	$0, spinlock		/* release: a plain store (TSO) */
	loop	1b
	popal
	ret

irq_to_ap:
	pushl	%eax
	movl	LAPIC_ID, %eax
	shrl	$24, %eax
	lock incl ipi_rx(, %eax, 4)
	movl	$0, LAPIC_EOI
	popl	%eax
	iret

irq_to_bsp:
	lock incl bsp_rx
	movl	$0, LAPIC_EOI
	iret

/* The APs, in 32-bit protected mode from the trampoline. */
ap_pm32:
	movl	$SEL_DATA32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	movl	$1, %eax
	lock xaddl %eax, ap_next	/* 1, 2, 3: own stack */
	incl	%eax
	shll	$12, %eax
	addl	$ap_stacks, %eax
	movl	%eax, %esp
	lidt	idt256_desc
	movl	$0x1ff, LAPIC_SVR
	movl	LAPIC_ID, %ebx
	shrl	$24, %ebx
	lock btsl %ebx, ap_seen
	lock incl ap_count
1:	cmpl	$0, go
	jne	2f
	pause
	jmp	1b
2:	call	spin_work
	lock incl done_count
	/* Wait for the BSP's IPI (check with IF = 0, then STI; HLT). */
3:	cmpl	$0, ipi_rx(, %ebx, 4)
	jne	4f
	sti
	hlt
	cli
	jmp	3b
	/*
	 * One vector per AP: fixed IPIs of one vector arriving together
	 * may merge in the IRR (SDM Vol 3A 10.8.4), so they are counted
	 * on distinct vectors.
	 */
4:	movl	$0, LAPIC_ICRHI		/* to APIC ID 0 */
	leal	V_TO_BSP - 1(%ebx), %eax
	movl	%eax, LAPIC_ICRLO	/* fixed, physical, edge */
	/* Cross-modifying code: run xmc_fn until the BSP patches it. */
	call	xmc_fn
	movl	%eax, xmc_first(, %ebx, 4)
	lock incl xmc_ready
6:	call	xmc_fn
	cmpl	$0x600d, %eax
	je	7f
	pause
	jmp	6b
7:	lock incl xmc_done
	lock incl ap_finished
	cli
5:	hlt
	jmp	5b

/* Patched by the BSP while the APs run it: 0x0bad becomes 0x600d. */
xmc_fn:
	movl	$0x0bad, %eax
	ret

/* ICR low %eax to APIC ID %ebx; waits for delivery status idle. */
send_ipi:
	shll	$24, %ebx
	movl	%ebx, LAPIC_ICRHI
	movl	%eax, LAPIC_ICRLO
1:	testl	$(1 << 12), LAPIC_ICRLO
	jnz	1b
	ret

test_main:
	movl	$1, %eax
	cpuid
	andl	$(1 << 9), %edx
	EXPECT	%edx, $(1 << 9), "CPUID.1:EDX.APIC"
	shrl	$24, %ebx
	EXPECT	%ebx, $0, "BSP initial APIC ID (CPUID.1:EBX[31:24]) is 0"
	/*
	 * The processor count as multiboot test kernels read it (QEMU
	 * fw_cfg key 5, FW_CFG_NB_CPUS: 16-bit selector write to 0x510,
	 * little-endian bytes from 0x511), present without a boot ROM.
	 */
	movw	$5, %ax
	movw	$0x510, %dx
	outw	%ax, %dx
	incw	%dx
	inb	%dx, %al
	movb	%al, %bl
	inb	%dx, %al
	movb	%al, %bh
	movzwl	%bx, %ebx
	EXPECT	%ebx, $(NAPS + 1), "fw_cfg FW_CFG_NB_CPUS"
	call	idt256_init
	movl	$V_TO_AP, %eax
	movl	$irq_to_ap, %ebx
	call	set_gate
	movl	$V_TO_BSP, %eax
	movl	$irq_to_bsp, %ebx
	call	set_gate
	incl	%eax
	call	set_gate
	incl	%eax
	call	set_gate
	movl	$0x1ff, LAPIC_SVR
	movl	LAPIC_ID, %eax
	shrl	$24, %eax
	EXPECT	%eax, $0, "BSP APIC ID register is 0"
	movl	LAPIC_VER, %eax
	andl	$0xff, %eax
	EXPECT	%eax, $0x10, "LAPIC version 0x10"
	movl	$1, %ecx
	call	delay_ms
	EXPECT	ap_count, $0, "APs wait for SIPI after power-on"

	/* INIT to all but self, 10 ms, then two SIPIs (vector 3). */
	movl	$0x000c4500, %eax
	xorl	%ebx, %ebx
	call	send_ipi
	movl	$10, %ecx
	call	delay_ms
	movl	$ap_tramp, %eax
	shrl	$12, %eax
	orl	$0x000c4600, %eax
	xorl	%ebx, %ebx
	call	send_ipi
	movl	$1, %ecx
	call	delay_ms
	movl	$ap_tramp, %eax
	shrl	$12, %eax
	orl	$0x000c4600, %eax
	xorl	%ebx, %ebx
	call	send_ipi
	movl	$ap_count, %esi
	movl	$NAPS, %edi
	movl	$5000, %ecx
	call	wait_eq
	EXPECT	%eax, $NAPS, "all APs started by INIT/SIPI/SIPI"
	EXPECT	ap_seen, $0xe, "APs have APIC IDs 1, 2, 3"
	EXPECT	ap_next, $(NAPS + 1), "each AP ran the trampoline once"

	/* Spinlock contention across 4 vCPUs. */
	movl	$1, go
	call	spin_work
	movl	$done_count, %esi
	movl	$NAPS, %edi
	movl	$30000, %ecx
	call	wait_eq
	EXPECT	%eax, $NAPS, "APs finished the spinlock loop"
	EXPECT	counter, $(4 * SPIN_ITERS), "LOCK CMPXCHG spinlock: exact count"

	/* IPIs: BSP -> each AP, each AP -> BSP. */
	sti
	movl	$1, %ebx
1:	movl	$V_TO_AP, %eax
	pushl	%ebx
	call	send_ipi
	popl	%ebx
	incl	%ebx
	cmpl	$NAPS, %ebx
	jbe	1b
	movl	$bsp_rx, %esi
	movl	$NAPS, %edi
	movl	$5000, %ecx
	call	wait_eq
	cli
	EXPECT	%eax, $NAPS, "BSP got one IPI from each AP"
	EXPECT	ipi_rx + 4, $1, "AP 1 got the BSP's IPI"
	EXPECT	ipi_rx + 8, $1, "AP 2 got the BSP's IPI"
	EXPECT	ipi_rx + 12, $1, "AP 3 got the BSP's IPI"
	EXPECT	ipi_rx, $0, "the BSP got none of its own"
	/* Cross-modifying code (SDM Vol 3A 8.1.3): patch what APs run. */
	movl	$xmc_ready, %esi
	movl	$NAPS, %edi
	movl	$5000, %ecx
	call	wait_eq
	EXPECT	%eax, $NAPS, "APs ran xmc_fn"
	EXPECT	xmc_first + 4, $0x0bad, "AP 1 saw the original code"
	movl	$0x600d, xmc_fn + 1	/* the imm32 of MOV EAX */
	movl	$xmc_done, %esi
	movl	$NAPS, %edi
	movl	$5000, %ecx
	call	wait_eq
	EXPECT	%eax, $NAPS, "APs see code patched by another vCPU"
	movl	$ap_finished, %esi
	movl	$NAPS, %edi
	movl	$5000, %ecx
	call	wait_eq
	EXPECT	%eax, $NAPS, "APs halted"
	ret

	.data
	.p2align 2
spinlock:	.long	0
counter:	.long	0
go:		.long	0
ap_next:	.long	1
ap_count:	.long	0
ap_seen:	.long	0
done_count:	.long	0
ap_finished:	.long	0
bsp_rx:		.long	0
xmc_ready:	.long	0
xmc_done:	.long	0
xmc_first:	.long	0, 0, 0, 0
ipi_rx:		.long	0, 0, 0, 0

	.bss
	.p2align 12
ap_stacks:	.space	(NAPS + 1) * AP_STACK

/* The trampoline: real mode at vector << 12 (CS = 0x300, IP = 0). */
	.section .low, "awx"
	.p2align 12
	.code16
ap_tramp:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	ap_gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $ap_pm32
	.p2align 2
	.word	0
ap_gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
	.code32
	.text
