/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * System architecture in long mode (SDM Vol 3 ch. 4-7): ring 3 entered
 * with IRETQ through a 64-bit TSS (RSP0), user-mode page faults with the
 * P, W, U, RSVD and I/D error-code bits and CR2, the TSS I/O permission
 * bitmap against IOPL, CLI at CPL 3, SYSCALL/SYSRET round trips (SYSRET
 * restoring RFLAGS from R11), gate DPL checks for INT3/INT n, an IST
 * stack, and a double fault caused by a fault during delivery.
 *
 * Virtual layout: 0 .. 1 GiB identity in 2 MiB user pages (the kernel
 * and its data run on user pages so that ring 3 can reach the test
 * bookkeeping); 1 GiB + 4 KiB pages (pt1):
 *   [0] user RW      [1] supervisor  [2] user read-only  [3] not present
 *   [4] reserved bit 51             [5] user, execute-disable
 */
#define	GUEST_NAME	"sys64"
#include "lib.inc"
#include "lib64.inc"

#define	MSR_EFER	0xc0000080
#define	MSR_STAR	0xc0000081
#define	MSR_LSTAR	0xc0000082
#define	MSR_FMASK	0xc0000084
#define	EFER_SCE	0x001
#define	EFER_LME	0x100
#define	EFER_NXE	0x800

#define	SEL_TSS		0x30	/* 16 bytes: 0x30 and 0x38 */
#define	SEL_KCODE	0x40	/* STAR[47:32]: CS; SS = +8 */
#define	SEL_KDATA	0x48
#define	SEL_UCODE32	0x50	/* STAR[63:48]: SS = +8, 64-bit CS = +16 */
#define	SEL_UDATA	0x58
#define	SEL_UCODE64	0x60

#define	UPAGES		0x40000000
#define	NSLOT		16

/* From ring 3: arm the exception handler to resume at the next UDONE. */
	.macro	UTRY
	movl	$0xffffffff, exc_vector(%rip)
	movl	$0, exc_errcode(%rip)
	movq	$0, exc_cr2(%rip)
	movl	$9301f, exc_resume(%rip)
	.endm

/* Record vector, error code and CR2 of what happened in slot `n`. */
	.macro	UDONE n
9301:	movl	$0, exc_resume(%rip)
	movl	exc_vector(%rip), %eax
	movl	%eax, urec + \n * 16(%rip)
	movl	exc_errcode(%rip), %eax
	movl	%eax, urec + \n * 16 + 4(%rip)
	movq	exc_cr2(%rip), %rax
	movq	%rax, urec + \n * 16 + 8(%rip)
	.endm

/* Kernel side: check slot `n` (vector -1: no exception). */
	.macro	UCHECK n, vec, err, what
	movslq	urec + \n * 16(%rip), %rax
	EXPECT64 %rax, $\vec, "\what: vector"
	.if	\vec >= 0
	movl	urec + \n * 16 + 4(%rip), %eax
	EXPECT64 %rax, $\err, "\what: error code"
	.endif
	.endm

/*
 * Error codes where QEMU TCG departs from the SDM: it leaves P clear
 * with RSVD (SDM Vol 3 4.7: RSVD implies P) and indexes 64-bit IDT gates
 * by 16 bytes in #GP codes (SDM Vol 3 6.13: the index is the vector).
 */
	.macro	UCHECK_NQ n, vec, err, what
	movslq	urec + \n * 16(%rip), %rax
	EXPECT64 %rax, $\vec, "\what: vector"
	cmpb	$0, on_qemu(%rip)
	je	9302f
	SKIP64	"\what: error code", "QEMU TCG differs from the SDM"
	jmp	9303f
9302:	movl	urec + \n * 16 + 4(%rip), %eax
	EXPECT64 %rax, $\err, "\what: error code"
9303:
	.endm

	.macro	UCHECK_CR2 n, cr2, what
	movq	urec + \n * 16 + 8(%rip), %rax
	EXPECT64 %rax, $\cr2, "\what: CR2"
	.endm

	.text
	.code32
test_main:
	movl	$0x80000001, %eax
	cpuid
	btl	$29, %edx		/* LM */
	jnc	no_lm
	btl	$20, %edx		/* NX */
	jnc	no_lm
	btl	$11, %edx		/* SYSCALL */
	jnc	no_lm
	call	setup_gdt
	call	setup_paging
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME | EFER_NXE | EFER_SCE, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax
	movl	%eax, %cr0
	ljmp	$SEL_CODE64, $lm_entry

no_lm:
	xorl	%eax, %eax
	EXPECT	%eax, $1, "CPUID: long mode, NX and SYSCALL"
	ret

setup_gdt:
	xorl	%ebx, %ebx
	movl	$0xfffff, %ecx
	movl	$SEL_KCODE, %eax
	movl	$0xa09b, %edx
	call	gdt_set
	movl	$SEL_KDATA, %eax
	movl	$0xc093, %edx
	call	gdt_set
	movl	$SEL_UCODE32, %eax
	movl	$0xc0fb, %edx
	call	gdt_set
	movl	$SEL_UDATA, %eax
	movl	$0xc0f3, %edx
	call	gdt_set
	movl	$SEL_UCODE64, %eax
	movl	$0xa0fb, %edx
	call	gdt_set
	movl	$SEL_TSS, %eax		/* upper half (0x38) stays 0 */
	movl	$tss64, %ebx
	movl	$tss_end - tss64 - 1, %ecx
	movl	$0x0089, %edx
	call	gdt_set
	ret

setup_paging:
	movl	$pd0, %edi
	movl	$0x87, %eax		/* P RW US PS */
	movl	$512, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b
	movl	$pdpt + 7, pml4
	movl	$pd0 + 7, pdpt
	movl	$pd1 + 7, pdpt + 8
	movl	$pt1 + 7, pd1
	movl	$0x300007, pt1 + 0 * 8	/* user RW */
	movl	$0x301003, pt1 + 1 * 8	/* supervisor */
	movl	$0x302005, pt1 + 2 * 8	/* user read-only */
	movl	$0x303007, pt1 + 4 * 8
	movl	$0x00080000, pt1 + 4 * 8 + 4	/* bit 51: reserved */
	movl	$0x304007, pt1 + 5 * 8
	movl	$0x80000000, pt1 + 5 * 8 + 4	/* XD */
	movb	$0xc3, 0x304000		/* a RET, should XD not work */
	ret

	.code64
lm_entry:
	movl	$stack_top, %esp
	call	idt64_init
	/* #PF also records CR2; INT 5 is allowed from ring 3. */
	movl	$14, %edi
	movl	$pf_handler, %esi
	movl	$0x8e00, %edx
	call	set_gate
	movl	$5, %edi
	movl	$exc64_stubs + 5 * 16, %esi
	movl	$0xee00, %edx
	call	set_gate
	/* TSS: RSP0, IST1, I/O bitmap at 0x68 allowing port 0x80 only. */
	leaq	kstack_top(%rip), %rax
	movq	%rax, tss64 + 4(%rip)
	leaq	ist_top(%rip), %rax
	movq	%rax, tss64 + 0x24(%rip)
	movw	$0x68, tss64 + 0x66(%rip)
	movb	$0xfe, tss64 + 0x68 + 0x80 / 8(%rip)
	movl	$SEL_TSS, %eax
	ltr	%ax
	/* SYSCALL: kernel CS 0x40, user base 0x50, mask TF IF DF. */
	movl	$MSR_STAR, %ecx
	xorl	%eax, %eax
	movl	$(SEL_UCODE32 << 16) | SEL_KCODE, %edx
	wrmsr
	movl	$MSR_LSTAR, %ecx
	movl	$syscall_entry, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$MSR_FMASK, %ecx
	movl	$0x700, %eax
	xorl	%edx, %edx
	wrmsr
	call	t_user
	call	t_user_checks
	call	t_ist
	call	t_double_fault
	jmp	finish64

/* set_gate: vector %edi, handler %esi, type/DPL word %edx, IST 0. */
set_gate:
	shlq	$4, %rdi
	leaq	idt64(%rip), %rax
	addq	%rax, %rdi
	movw	%si, (%rdi)
	movw	$SEL_CODE64, 2(%rdi)
	movw	%dx, 4(%rdi)
	movq	%rsi, %rax
	shrq	$16, %rax
	movw	%ax, 6(%rdi)
	shrq	$16, %rax
	movl	%eax, 8(%rdi)
	movl	$0, 12(%rdi)
	ret

/* #PF: keep CR2, then the common stub (error code already pushed). */
pf_handler:
	pushq	%rax
	movq	%cr2, %rax
	movq	%rax, exc_cr2(%rip)
	popq	%rax
	jmp	exc64_stubs + 14 * 16

/* ---- Ring 3 ---- */

t_user:
	movq	%rsp, kernel_rsp(%rip)
	movl	$SEL_UDATA | 3, %eax
	pushq	%rax
	leaq	ustack_top(%rip), %rax
	pushq	%rax
	pushq	$0x2			/* IF = 0, IOPL = 0 */
	movl	$SEL_UCODE64 | 3, %eax
	pushq	%rax
	movl	$user_main, %eax
	pushq	%rax
	iretq

/* SYSCALL from ring 3: 99 leaves the user part; 2 raises IOPL to 3. */
syscall_entry:
	cmpl	$99, %eax
	je	user_back
	cmpl	$2, %eax
	je	1f
	movq	%rcx, k_rcx(%rip)
	movq	%r11, k_r11(%rip)
	movw	%cs, %bx
	movw	%bx, k_cs(%rip)
	pushfq
	popq	%rbx
	movq	%rbx, k_rflags(%rip)
	sysretq
1:	orq	$0x3000, %r11
	sysretq

/* Back in ring 0 for good.  IRETQ to ring 3 nulled DS/ES/FS/GS (their
 * DPL 0 < CPL 3); the 32-bit code of finish64 needs them again. */
user_back:
	movq	kernel_rsp(%rip), %rsp
	movl	$SEL_DATA32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	ret

user_main:
	movw	%cs, %ax
	movw	%ax, u_cs(%rip)
	/* I/O bitmap: port 0x80 allowed, 0x81 not. */
	UTRY
	inb	$0x80, %al
	UDONE	0
	UTRY
	inb	$0x81, %al
	UDONE	1
	/* Page faults from user mode. */
	UTRY
	movl	UPAGES + 0x1000, %eax
	UDONE	2
	UTRY
	movl	UPAGES + 0x3000, %eax
	UDONE	3
	UTRY
	movl	$1, UPAGES + 0x2000
	UDONE	4
	UTRY
	movl	UPAGES + 0x4000, %eax
	UDONE	5
	UTRY
	movl	$1, UPAGES + 0x0
	UDONE	6
	/* Executing an XD page: the CALL completes, the fetch faults. */
	movq	%rsp, %rbp
	UTRY
	movl	$UPAGES + 0x5000, %eax
	call	*%rax
	UDONE	7
	movq	%rbp, %rsp
	/* INT3 through a DPL 0 gate: #GP(3 * 8 + 2); INT 5 (DPL 3) works. */
	UTRY
	int3
	UDONE	8
	UTRY
	int	$5
	UDONE	9
	/* CLI at CPL 3 > IOPL. */
	UTRY
	cli
	UDONE	10
	/* SYSCALL and back. */
	movl	$1, %eax
	syscall
1:	movw	%cs, %ax
	movw	%ax, u_cs2(%rip)
	leaq	1b(%rip), %rax
	movq	%rax, u_ret(%rip)
	pushfq
	popq	%rax
	movq	%rax, u_rflags(%rip)
	/* SYSRET loads RFLAGS from R11: the kernel raised IOPL to 3. */
	movl	$2, %eax
	syscall
	UTRY
	inb	$0x81, %al
	UDONE	11
	UTRY
	cli
	sti
	UDONE	12
	movl	$99, %eax
	syscall

t_user_checks:
	movzwl	u_cs(%rip), %eax
	EXPECT64 %rax, $SEL_UCODE64 | 3, "IRETQ to ring 3: CS"
	UCHECK	0, -1, 0, "IN from port allowed by the I/O bitmap"
	UCHECK	1, 13, 0, "IN from port denied by the I/O bitmap"
	UCHECK	2, 14, 5, "user read of a supervisor page"
	UCHECK_CR2 2, UPAGES + 0x1000, "user read of a supervisor page"
	UCHECK	3, 14, 4, "user read of a not-present page"
	UCHECK_CR2 3, UPAGES + 0x3000, "user read of a not-present page"
	UCHECK	4, 14, 7, "user write to a read-only page"
	UCHECK_NQ 5, 14, 0xd, "reserved bit in a PTE"
	UCHECK_CR2 5, UPAGES + 0x4000, "reserved bit in a PTE"
	UCHECK	6, -1, 0, "user write to a user page"
	UCHECK	7, 14, 0x15, "user fetch from an XD page"
	UCHECK_CR2 7, UPAGES + 0x5000, "user fetch from an XD page"
	UCHECK_NQ 8, 13, 0x1a, "INT3 through a DPL 0 gate"
	UCHECK	9, 5, 0, "INT 5 through a DPL 3 gate"
	UCHECK	10, 13, 0, "CLI with CPL > IOPL"
	movzwl	k_cs(%rip), %eax
	EXPECT64 %rax, $SEL_KCODE, "SYSCALL: CS from STAR"
	movq	k_rcx(%rip), %rax
	EXPECT64 %rax, u_ret(%rip), "SYSCALL: RCX = return address"
	movq	k_r11(%rip), %rax
	andl	$0x3ffffd, %eax
	EXPECT64 %rax, $0x0, "SYSCALL: R11 = RFLAGS (IF, IOPL 0)"
	movq	k_rflags(%rip), %rax
	andl	$0x700, %eax
	EXPECT64 %rax, $0, "SYSCALL: RFLAGS masked by FMASK"
	movzwl	u_cs2(%rip), %eax
	EXPECT64 %rax, $(SEL_UCODE32 + 16) | 3, "SYSRETQ: CS"
	UCHECK	11, -1, 0, "IN with IOPL 3 from SYSRET's R11"
	UCHECK	12, -1, 0, "CLI/STI with IOPL 3"
	ret

/* An interrupt gate with IST 1 switches stacks even without a CPL change. */
t_ist:
	movl	$3, %edi
	movl	$ist_handler, %esi
	movl	$0x8e01, %edx		/* IST in the low bits of word 2 */
	call	set_gate
	movq	$0, ist_rsp(%rip)
	int3
	leaq	ist_top - 40(%rip), %rax
	EXPECT64 ist_rsp(%rip), %rax, "IST 1: RSP at the IST stack top"
	ret

ist_handler:
	movq	%rsp, ist_rsp(%rip)
	iretq

/* #GP while its own gate is not present: #NP during delivery -> #DF. */
t_double_fault:
	andb	$0x7f, idt64 + 13 * 16 + 5(%rip)
	EXPECT64_FAULT 1f
	movabsq	$0x0000800000000000, %rax
	movq	(%rax), %rax
1:	orb	$0x80, idt64 + 13 * 16 + 5(%rip)
	EXPECT64_VEC 8, "#GP with a not-present gate: #DF"
	movl	exc_errcode(%rip), %eax
	EXPECT64 %rax, $0, "#DF error code"
	ret

	.data
	.p2align 4
tss64:
	.fill	0x68, 1, 0
	.fill	0x80, 1, 0xff		/* ports 0 .. 0x3ff */
	.byte	0xff
tss_end:
	.p2align 3
exc_cr2:	.quad	0
kernel_rsp:	.quad	0
k_rcx:		.quad	0
k_r11:		.quad	0
k_rflags:	.quad	0
k_cs:		.word	0
u_cs:		.word	0
u_cs2:		.word	0
	.p2align 3
u_ret:		.quad	0
u_rflags:	.quad	0
ist_rsp:	.quad	0
urec:		.fill	NSLOT * 16, 1, 0

	.bss
	.p2align 12
pml4:	.space	4096
pdpt:	.space	4096
pd0:	.space	4096
pd1:	.space	4096
pt1:	.space	4096
	.p2align 4
	.space	4096
kstack_top:
	.space	4096
ist_top:
	.space	4096
ustack_top:
