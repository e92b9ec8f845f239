/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Privilege and tasks in 32-bit protected mode (SDM Vol 3 5.8, 6.12,
 * 7.3): ring 3 entered with IRET, a call gate to ring 0 copying a
 * parameter and switching to the TSS's SS0:ESP0, RETF imm16 back to
 * ring 3, INT n through a DPL 3 gate with a stack switch, hardware task
 * switches (JMP to a TSS, CALL through a task gate, IRET with NT back
 * along the link, busy bits, CR0.TS), and a double fault handled by a
 * task gate whose task returns with IRET.
 */
#define	GUEST_NAME	"sys32"
#include "lib.inc"

#define	SEL_TSSA	0x30	/* the main task */
#define	SEL_TSSB	0x38
#define	SEL_UCODE	0x40	/* DPL 3 */
#define	SEL_UDATA	0x48
#define	SEL_CALLG	0x50	/* call gate, DPL 3, one parameter */
#define	SEL_TASKG	0x58	/* task gate to TSS B, DPL 3 */
#define	SEL_TSSC	0x60	/* double-fault task */

/* TSS fields (SDM Vol 3 Figure 7-2). */
#define	T_LINK		0x00
#define	T_ESP0		0x04
#define	T_SS0		0x08
#define	T_CR3		0x1c
#define	T_EIP		0x20
#define	T_EFLAGS	0x24
#define	T_ESP		0x38
#define	T_ES		0x48
#define	T_CS		0x4c
#define	T_SS		0x50
#define	T_DS		0x54
#define	T_FS		0x58
#define	T_GS		0x5c

	.text
	.code32
test_main:
	call	setup
	call	t_user
	call	t_user_checks
	call	t_tasks
	call	t_df_task
	ret

/* gate: selector %eax, target offset %ebx, target selector %ecx,
 * access byte | param count << 8 in %edx (raw 8-byte gate, Vol 3 5.8.3) */
set_gate:
	movw	%bx, gdt(%eax)
	movw	%cx, gdt + 2(%eax)
	movb	%dh, gdt + 4(%eax)
	movb	%dl, gdt + 5(%eax)
	shrl	$16, %ebx
	movw	%bx, gdt + 6(%eax)
	ret

/* init_tss: TSS at %edi starting at %ebx with stack %ecx, flat ring 0. */
init_tss:
	movl	%ebx, T_EIP(%edi)
	movl	%ecx, T_ESP(%edi)
	movl	$0x2, T_EFLAGS(%edi)
	movl	%cr3, %eax
	movl	%eax, T_CR3(%edi)
	movl	$SEL_CODE32, T_CS(%edi)
	movl	$SEL_DATA32, T_ES(%edi)
	movl	$SEL_DATA32, T_SS(%edi)
	movl	$SEL_DATA32, T_DS(%edi)
	movl	$SEL_DATA32, T_FS(%edi)
	movl	$SEL_DATA32, T_GS(%edi)
	ret

setup:
	movl	$SEL_TSSA, %eax
	movl	$tss_a, %ebx
	movl	$0x67, %ecx
	movl	$0x0089, %edx
	call	gdt_set
	movl	$SEL_TSSB, %eax
	movl	$tss_b, %ebx
	call	gdt_set
	movl	$SEL_TSSC, %eax
	movl	$tss_c, %ebx
	call	gdt_set
	xorl	%ebx, %ebx
	movl	$0xfffff, %ecx
	movl	$SEL_UCODE, %eax
	movl	$0xc0fb, %edx
	call	gdt_set
	movl	$SEL_UDATA, %eax
	movl	$0xc0f3, %edx
	call	gdt_set
	movl	$SEL_CALLG, %eax
	movl	$gate_target, %ebx
	movl	$SEL_CODE32, %ecx
	movl	$0x01ec, %edx		/* 32-bit call gate, DPL 3, 1 param */
	call	set_gate
	movl	$SEL_TASKG, %eax
	xorl	%ebx, %ebx
	movl	$SEL_TSSB, %ecx
	movl	$0x00e5, %edx		/* task gate, DPL 3 */
	call	set_gate
	movl	$kstack_top, tss_a + T_ESP0
	movl	$SEL_DATA32, tss_a + T_SS0
	movl	$tss_b, %edi
	movl	$task_b, %ebx
	movl	$bstack_top, %ecx
	call	init_tss
	/* INT 5: a DPL 3 interrupt gate to int5_handler. */
	movl	$int5_handler, %eax
	movw	%ax, idt + 5 * 8
	shrl	$16, %eax
	movw	%ax, idt + 5 * 8 + 6
	movb	$0xee, idt + 5 * 8 + 5
	movl	$SEL_TSSA, %eax
	ltr	%ax
	lar	%eax, %ebx
	shrl	$8, %ebx
	andl	$0xf, %ebx
	EXPECT	%ebx, $0xb, "LTR marks the TSS busy"
	ret

/* ---- Ring 3 through IRET, back through a call gate ---- */

t_user:
	movl	%esp, kernel_esp
	pushl	$SEL_UDATA | 3
	pushl	$ustack_top
	pushl	$0x2
	pushl	$SEL_UCODE | 3
	pushl	$user_main
	iret

/* Ring 0 through the call gate: [EIP][CS][param][ESP][SS]. */
gate_target:
	movl	8(%esp), %eax
	cmpl	$99, %eax
	je	user_back
	movl	%eax, g_param
	movl	4(%esp), %eax
	movl	%eax, g_cs
	movl	16(%esp), %eax
	movl	%eax, g_ss
	movl	%esp, g_esp
	movw	%cs, %ax
	movw	%ax, g_mycs
	lret	$4

user_back:
	movl	$SEL_DATA32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	kernel_esp, %esp
	ret

/* INT 5 handler from ring 3: [EIP][CS][EFLAGS][ESP][SS]. */
	.p2align 4
int5_handler:
	movl	16(%esp), %eax
	movl	%eax, i_ss
	movl	%esp, i_esp
	iret

user_main:
	movw	%ds, %bx		/* nulled by the IRET to ring 3 */
	movl	$SEL_UDATA | 3, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movw	%bx, u_ds
	movw	%cs, %ax
	movw	%ax, u_cs
	movl	%esp, u_esp0
	pushl	$0x1234
	lcall	$SEL_CALLG | 3, $0
	movl	%esp, u_esp1
	int	$5
	pushl	$99
	lcall	$SEL_CALLG | 3, $0

t_user_checks:
	movzwl	u_cs, %eax
	EXPECT	%eax, $SEL_UCODE | 3, "IRET to ring 3: CS"
	movzwl	u_ds, %eax
	EXPECT	%eax, $0, "IRET to ring 3 nulls a DPL 0 DS"
	EXPECT	g_param, $0x1234, "call gate copies the parameter"
	movzwl	g_cs, %eax
	EXPECT	%eax, $SEL_UCODE | 3, "call gate pushes the CS of the caller"
	movzwl	g_ss, %eax
	EXPECT	%eax, $SEL_UDATA | 3, "call gate pushes the SS of the caller"
	EXPECT	g_esp, $kstack_top-20, "call gate switches to ESP0"
	movzwl	g_mycs, %eax
	EXPECT	%eax, $SEL_CODE32, "call gate: CPL 0 code"
	movl	u_esp0, %eax
	EXPECT	u_esp1, %eax, "RETF 4 pops the parameter on both stacks"
	movzwl	i_ss, %eax
	EXPECT	%eax, $SEL_UDATA | 3, "INT 5 from ring 3 pushes SS"
	EXPECT	i_esp, $kstack_top-20, "INT 5 from ring 3 uses ESP0"
	ret

/* ---- Task switches ---- */

task_b:
	/* First entry (JMP): note it and jump back. */
	str	%ax
	movw	%ax, b_tr
	pushfl
	popl	b_flags1
	ljmp	$SEL_TSSA, $0
	/* Second entry (CALL through the task gate): nested. */
	pushfl
	popl	b_flags2
	movl	tss_b + T_LINK, %eax
	movl	%eax, b_link
	iret
	/* Not reached: the task is not entered a third time. */
	jmp	.

t_tasks:
	movl	$0x5a5a, %esi
	ljmp	$SEL_TSSB, $0
	/* Back from task B's JMP. */
	EXPECT	%esi, $0x5a5a, "JMP back restores the registers of the task"
	str	%ax
	movzwl	%ax, %eax
	EXPECT	%eax, $SEL_TSSA, "JMP back: TR"
	movzwl	b_tr, %eax
	EXPECT	%eax, $SEL_TSSB, "task B ran with its TR"
	movl	b_flags1, %eax
	andl	$0x4000, %eax
	EXPECT	%eax, $0, "JMP: NT clear in the new task"
	movl	%cr0, %eax
	andl	$8, %eax
	EXPECT	%eax, $8, "task switch sets CR0.TS"
	clts
	movl	$SEL_TSSB, %eax
	lar	%eax, %eax
	shrl	$8, %eax
	andl	$0xf, %eax
	EXPECT	%eax, $0x9, "JMP away frees the old task"
	/* CALL through a task gate: nested, IRET comes back. */
	lcall	$SEL_TASKG, $0
	str	%ax
	movzwl	%ax, %eax
	EXPECT	%eax, $SEL_TSSA, "IRET with NT returns to the caller"
	movl	b_flags2, %eax
	andl	$0x4000, %eax
	EXPECT	%eax, $0x4000, "CALL: NT set in the called task"
	movzwl	b_link, %eax
	EXPECT	%eax, $SEL_TSSA, "CALL: back link"
	pushfl
	popl	%eax
	andl	$0x4000, %eax
	EXPECT	%eax, $0, "NT of the caller unchanged"
	movl	$SEL_TSSB, %eax
	lar	%eax, %eax
	shrl	$8, %eax
	andl	$0xf, %eax
	EXPECT	%eax, $0x9, "IRET frees the called task"
	/* The running task is busy: calling it is #GP(sel). */
	EXPECT_FAULT 1f
	lcall	$SEL_TSSA, $0
1:	EXPECT_VEC 13, "CALL to a busy TSS"
	EXPECT	exc_errcode, $SEL_TSSA, "CALL to a busy TSS: error code"
	clts
	ret

/* ---- #DF through a task gate ---- */

task_c:
	str	%ax
	movw	%ax, c_tr
	popl	c_err			/* the #DF error code */
	movl	tss_c + T_LINK, %eax
	movl	%eax, c_link
	orb	$0x80, idt + 13 * 8 + 5	/* #GP present again */
	iret				/* back to the faulting task */

t_df_task:
	movl	$tss_c, %edi
	movl	$task_c, %ebx
	movl	$cstack_top, %ecx
	call	init_tss
	movl	$8 * 8, %eax		/* IDT[8]: task gate to TSS C */
	movw	$0, idt(%eax)
	movw	$SEL_TSSC, idt + 2(%eax)
	movw	$0x8500, idt + 4(%eax)
	movw	$0, idt + 6(%eax)
	andb	$0x7f, idt + 13 * 8 + 5	/* #GP not present */
	movl	$0xffffffff, c_err
	EXPECT_FAULT 1f
	movl	$0xfff8, %eax		/* beyond the GDT limit: #GP */
	movl	%eax, %es
1:	EXPECT_VEC 13, "re-executed after the #DF task: #GP"
	movzwl	c_tr, %eax
	EXPECT	%eax, $SEL_TSSC, "#DF task gate: the task ran"
	EXPECT	c_err, $0, "#DF task gate: error code on the new stack"
	movzwl	c_link, %eax
	EXPECT	%eax, $SEL_TSSA, "#DF task gate: back link"
	clts
	ret

	.data
	.p2align 4
tss_a:	.fill	0x68, 1, 0
tss_b:	.fill	0x68, 1, 0
tss_c:	.fill	0x68, 1, 0
	.p2align 2
kernel_esp:	.long	0
g_param:	.long	0
g_cs:		.long	0
g_ss:		.long	0
g_esp:		.long	0
i_ss:		.long	0
i_esp:		.long	0
u_esp0:		.long	0
u_esp1:		.long	0
b_flags1:	.long	0
b_flags2:	.long	0
b_link:		.long	0
c_err:		.long	0
c_link:		.long	0
g_mycs:		.word	0
u_cs:		.word	0
u_ds:		.word	0
b_tr:		.word	0
c_tr:		.word	0

	.bss
	.p2align 4
	.space	4096
kstack_top:
	.space	4096
ustack_top:
	.space	4096
bstack_top:
	.space	4096
cstack_top:
