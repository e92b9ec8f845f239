/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Debug registers in 32-bit protected mode (SDM Vol 3 17.2, 17.3):
 * an instruction breakpoint in DR0 is a #DB fault before the
 * instruction with DR6.B0; RFLAGS.RF (here set through IRET) suppresses
 * it for exactly one instruction; DR7.GD makes the next debug-register
 * access a #DB fault with DR6.BD and clears GD (not under QEMU TCG,
 * which has no general detect); data breakpoints are traps after the
 * access, on writes only (R/W 01) or reads and writes (R/W 11), over the
 * LEN-aligned range.
 */
#define	GUEST_NAME	"debug32"
#include "lib.inc"

#define	DR7_L0		0x00000001
#define	DR7_GD		0x00002000
#define	DR6_B0		0x00000001
#define	DR6_BD		0x00002000
#define	RFLAGS_RF	0x00010000
#define	DR7_W0_LEN4	0x000d0000	/* R/W0 = 01, LEN0 = 11 */
#define	DR7_RW0_LEN4	0x000f0000	/* R/W0 = 11, LEN0 = 11 */

	.text
test_main:
	call	t_ibp
	call	t_rf
	call	t_gd
	call	t_data
	ret

/* Instruction breakpoint: fault with EIP at the instruction, not run. */
t_ibp:
	xorl	%eax, %eax
	movl	%eax, %dr6
	movl	$bp1, %eax
	movl	%eax, %dr0
	movl	$DR7_L0, %eax		/* R/W0 = LEN0 = 00: execution */
	movl	%eax, %dr7
	xorl	%ecx, %ecx
	EXPECT_FAULT 1f
bp1:	movl	$0x55, %ecx
	nop
1:	EXPECT_VEC 1, "instruction breakpoint: #DB"
	EXPECT	exc_eip, $bp1, "instruction breakpoint: EIP at the instruction"
	EXPECT	%ecx, $0, "instruction breakpoint: a fault, not executed"
	movl	%dr6, %eax
	andl	$0xf, %eax
	EXPECT	%eax, $DR6_B0, "instruction breakpoint: DR6.B0"
	xorl	%eax, %eax
	movl	%eax, %dr7
	ret

/* RF = 1 from IRET: the breakpoint is skipped once, then hits again. */
t_rf:
	xorl	%eax, %eax
	movl	%eax, %dr6
	movl	$bp2, %eax
	movl	%eax, %dr0
	movl	$DR7_L0, %eax
	movl	%eax, %dr7
	xorl	%ecx, %ecx
	EXPECT_FAULT 1f
	pushfl
	orl	$RFLAGS_RF, (%esp)
	pushl	%cs
	pushl	$bp2
	iret
bp2:	incl	%ecx
	jmp	bp2
1:	EXPECT_VEC 1, "RF: breakpoint taken the second time"
	EXPECT	%ecx, $1, "RF: breakpoint suppressed for one instruction"
	EXPECT	exc_eip, $bp2, "RF: EIP at the instruction"
	xorl	%eax, %eax
	movl	%eax, %dr7
	ret

/* General detect: the next MOV DR faults, DR6.BD set, DR7.GD cleared. */
t_gd:
	xorl	%eax, %eax
	movl	%eax, %dr6
	movl	$DR7_GD, %eax
	movl	%eax, %dr7
	EXPECT_FAULT 1f
gd1:	movl	%dr0, %eax
	nop
1:	EXPECT_VEC_NQ 1, "general detect: #DB"
	EXPECT_NQ exc_eip, $gd1, "general detect: EIP at the MOV"
	movl	%dr6, %eax
	andl	$DR6_BD, %eax
	EXPECT_NQ %eax, $DR6_BD, "general detect: DR6.BD"
	movl	%dr7, %eax
	andl	$DR7_GD, %eax
	EXPECT_NQ %eax, $0, "general detect: DR7.GD cleared"
	xorl	%eax, %eax
	movl	%eax, %dr7
	ret

/* Data breakpoints: #DB trap after the access, EIP past it. */
t_data:
	movl	$0, watch
	xorl	%eax, %eax
	movl	%eax, %dr6
	movl	$watch, %eax
	movl	%eax, %dr0
	movl	$DR7_L0 | DR7_W0_LEN4, %eax
	movl	%eax, %dr7
	movl	watch, %eax		/* a read: no trap for R/W = 01 */
	xorl	%ecx, %ecx
	EXPECT_FAULT 1f
	movl	$0x1234, watch
dw1:	incl	%ecx
1:	xorl	%eax, %eax
	movl	%eax, %dr7
	EXPECT_VEC 1, "data breakpoint (write): #DB"
	EXPECT	exc_eip, $dw1, "data breakpoint: a trap after the store"
	EXPECT	%ecx, $0, "data breakpoint: before the next instruction"
	EXPECT	watch, $0x1234, "data breakpoint: the store was done"
	movl	%dr6, %eax
	andl	$0xf, %eax
	EXPECT	%eax, $DR6_B0, "data breakpoint: DR6.B0"
	xorl	%eax, %eax
	movl	%eax, %dr6
	movl	$DR7_L0 | DR7_RW0_LEN4, %eax
	movl	%eax, %dr7
	EXPECT_FAULT 1f
	movb	watch + 3, %al		/* one byte of the watched four */
dr1:	nop
1:	xorl	%eax, %eax
	movl	%eax, %dr7
	EXPECT_VEC 1, "data breakpoint (read/write): #DB on a byte read"
	EXPECT	exc_eip, $dr1, "data breakpoint (read/write): after the read"
	ret

	.data
	.p2align 2
watch:	.long	0
