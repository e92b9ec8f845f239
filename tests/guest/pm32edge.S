/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 32-bit protected mode corner cases, each defined by the SDM: PUSH/POP
 * with ESP, ENTER with a nesting level, BOUND, every SETcc condition,
 * count masking of shifts, rotates and bit tests, 16-bit address size in
 * 32-bit code, string instructions with a segment override and DF = 1,
 * LOCK forms, EFLAGS.AC/ID, CPUID/RDTSC basics, and code that patches the
 * instruction right after the store.
 */
#define	GUEST_NAME	"pm32edge"
#include "lib.inc"

#define	SEL_FS		(SEL_USER0 + 0x00)	/* data, base 0x200000 */

	.text
test_main:
	movl	$SEL_FS, %eax
	movl	$0x200000, %ebx
	movl	$0xfffff, %ecx
	movl	$0xc093, %edx
	call	gdt_set
	call	t_stack
	call	t_setcc
	call	t_counts
	call	t_addr16
	call	t_string
	call	t_lock
	call	t_misc
	call	t_smc_next
	ret

t_stack:
	movl	%esp, %ebx
	pushl	%esp
	popl	%eax
	EXPECT	%eax, %ebx, "push %esp pushes the old ESP"
	movl	%esp, %ebx
	pushl	$0x12340000
	popl	%esp
	movl	%esp, %eax
	movl	%ebx, %esp
	EXPECT	%eax, $0x12340000, "pop %esp loads the popped value"
	/* POP m32 with ESP as base: address uses the incremented ESP. */
	pushl	$0xaaaa
	pushl	$0xbbbb
	popl	(%esp)
	popl	%eax
	EXPECT	%eax, $0xbbbb, "pop (%esp) addresses after the increment"
	/* ENTER 8, 1: push EBP, push the frame pointer, reserve 8. */
	pushl	%ebp
	movl	%esp, %ebx
	movl	$0x5a5a, %ebp
	enter	$8, $1
	movl	%ebx, %ecx
	subl	%esp, %ecx
	movl	%ebp, %edx
	movl	-4(%ebp), %esi		/* the pushed frame pointer */
	movl	(%ebp), %edi		/* the pushed EBP */
	leave
	popl	%ebp
	EXPECT	%ecx, $16, "enter 8,1: ESP"
	leal	-4(%ebx), %eax
	EXPECT	%edx, %eax, "enter 8,1: EBP = frame"
	EXPECT	%esi, %eax, "enter 8,1: frame pointer pushed"
	EXPECT	%edi, $0x5a5a, "enter 8,1: old EBP pushed"
	/* BOUND. */
	movl	$5, %eax
	movl	$0xffffffff, exc_vector
	bound	%eax, bounds
	EXPECT	exc_vector, $0xffffffff, "bound in range: no fault"
	EXPECT_FAULT 1f
	movl	$11, %eax
	bound	%eax, bounds
1:	EXPECT_VEC 5, "bound out of range: #BR"
	ret

/* setcc_mask(flags %eax) -> %eax: bit i = SETcc with cc = i. */
setcc_mask:
	pushl	%ebx
	pushl	%eax
	popfl
	seto	cc + 0
	setno	cc + 1
	setb	cc + 2
	setae	cc + 3
	sete	cc + 4
	setne	cc + 5
	setbe	cc + 6
	seta	cc + 7
	sets	cc + 8
	setns	cc + 9
	setp	cc + 10
	setnp	cc + 11
	setl	cc + 12
	setge	cc + 13
	setle	cc + 14
	setg	cc + 15
	xorl	%eax, %eax
	movl	$15, %ecx
1:	movzbl	cc(%ecx), %ebx
	shll	$1, %eax
	orl	%ebx, %eax
	decl	%ecx
	jns	1b
	popl	%ebx
	ret

t_setcc:
	movl	$0x002, %eax
	call	setcc_mask
	EXPECT	%eax, $0xaaaa, "setcc, no flags"
	movl	$0x8d7, %eax
	call	setcc_mask
	EXPECT	%eax, $0x6555, "setcc, all flags"
	movl	$0x083, %eax
	call	setcc_mask
	EXPECT	%eax, $0x5966, "setcc, SF CF"
	movl	$0x806, %eax
	call	setcc_mask
	EXPECT	%eax, $0x56a9, "setcc, OF PF"
	/* Jcc agrees with SETcc: jl taken when SF != OF. */
	pushl	$0x802
	popfl
	movl	$0, %eax
	jl	1f
	movl	$1, %eax
1:	EXPECT	%eax, $0, "jl taken with OF set, SF clear"
	pushl	$0x882
	popfl
	movl	$0, %eax
	jle	2f
	movl	$1, %eax
2:	EXPECT	%eax, $1, "jle not taken with SF = OF, ZF clear"
	ret

t_counts:
	movl	$0x12345678, %eax
	movb	$17, %cl
	shlw	%cl, %ax
	EXPECT	%eax, $0x12340000, "shlw by 17: 16-bit result 0"
	movb	$0x81, %al
	clc
	movb	$9, %cl
	rclb	%cl, %al
	movzbl	%al, %eax
	EXPECT	%eax, $0x81, "rclb by 9 = by 0"
	movb	$0x81, %al
	clc
	movb	$10, %cl
	rclb	%cl, %al
	movzbl	%al, %eax
	EXPECT	%eax, $0x02, "rclb by 10 = by 1"
	movw	$0x8001, %ax
	movb	$16, %cl
	rolw	%cl, %ax
	movzwl	%ax, %eax
	EXPECT	%eax, $0x8001, "rolw by 16"
	movl	$0x8, %eax
	btl	$35, %eax
	setc	%bl
	movzbl	%bl, %ebx
	EXPECT	%ebx, $1, "bt imm 35 tests bit 3"
	movl	$0, scratch
	movl	$0, scratch + 4
	btsl	$33, scratch
	EXPECT	scratch, $2, "bts memory, imm 33: masked to bit 1"
	EXPECT	scratch + 4, $0, "bts memory, imm: same dword"
	movw	$0x0100, %ax
	bsfw	%ax, %cx
	movzwl	%cx, %ecx
	EXPECT	%ecx, $8, "bsfw"
	movl	$0x12345680, %eax
	movsbw	%al, %ax
	EXPECT	%eax, $0x1234ff80, "movsbw keeps bits 31:16"
	movl	$0x12345678, %eax
	movzbw	%al, %ax
	EXPECT	%eax, $0x12340078, "movzbw keeps bits 31:16"
	movw	$0x4000, %ax
	imulw	$4, %ax, %ax
	seto	%bl
	movzbl	%bl, %ebx
	EXPECT	%ebx, $1, "imulw overflow: OF"
	movb	$0x10, %al
	movb	$0x0f, %cl
	mulb	%cl
	seto	%bl
	movzwl	%ax, %eax
	movzbl	%bl, %ebx
	EXPECT	%eax, $0xf0, "mulb"
	EXPECT	%ebx, $0, "mulb: OF clear when AH = 0"
	xorl	%eax, %eax
	negl	%eax
	setc	%bl
	movzbl	%bl, %ebx
	EXPECT	%ebx, $0, "neg 0: CF clear"
	movl	$0x80000000, %eax
	negl	%eax
	seto	%bl
	movzbl	%bl, %ebx
	EXPECT	%ebx, $1, "neg 0x80000000: OF"
	stc
	sbbl	%eax, %eax
	EXPECT	%eax, $-1, "sbb reg, reg = -CF"
	movb	$0x99, %al
	stc
	movb	$0x00, %ah
	sahf				/* CF = AF = 0 */
	stc
	movb	$0x05, %al
	addb	$0x05, %al		/* 0x0a, AF = 0 */
	daa
	movzbl	%al, %eax
	EXPECT	%eax, $0x10, "daa adjusts a low nibble above 9"
	EXPECT_FAULT 1f
	.byte	0xd4, 0x00		/* aam 0 */
1:	EXPECT_VEC 0, "aam 0: #DE"
	ret

t_addr16:
	movl	$0x1fff0, %ebx
	movl	$0x20, %esi
	addr16 leal (%bx, %si), %eax
	EXPECT	%eax, $0x10, "16-bit address size wraps at 64 KiB"
	movl	$0x10000, %ecx
	movl	$7, %eax
	jcxz	1f
	movl	$0, %eax
1:	EXPECT	%eax, $7, "jcxz tests CX only"
	/* addr16 movsb: SI and DI, upper halves untouched. */
	movb	$0x77, 0x600
	movl	$0xabcd0600, %esi
	movl	$0x12340700, %edi
	addr16 movsb
	movzbl	0x700, %eax
	EXPECT	%eax, $0x77, "addr16 movsb copies [si] to [di]"
	EXPECT	%esi, $0xabcd0601, "addr16 movsb: SI advanced"
	ret

t_string:
	movl	$SEL_FS, %eax
	movl	%eax, %fs
	movl	$0x11223344, 0x200010
	movl	$0x10, %esi
	movl	$scratch, %edi
	movl	$4, %ecx
	rep movsb %fs:(%esi), %es:(%edi)
	EXPECT	scratch, $0x11223344, "rep movsb with FS source override"
	movl	$SEL_DATA32, %eax
	movl	%eax, %fs
	/* rep stosb backwards. */
	movl	$0, scratch
	movl	$0, scratch + 4
	movl	$scratch + 5, %edi
	movb	$0xee, %al
	movl	$3, %ecx
	std
	rep stosb
	cld
	EXPECT	scratch + 4, $0x0000eeee, "std rep stosb: high bytes"
	EXPECT	scratch, $0xee000000, "std rep stosb: low byte"
	/* cmpsd flags: compare [esi] - [edi]. */
	movl	$5, scratch
	movl	$7, scratch + 4
	movl	$scratch, %esi
	movl	$scratch + 4, %edi
	cmpsl
	setb	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "cmpsd: [esi] < [edi] sets CF"
	movl	$0x00420041, scratch
	movl	$scratch, %edi
	movw	$0x42, %ax
	movl	$4, %ecx
	repne scasw
	EXPECT	%edi, $(scratch + 4), "repne scasw"
	/* lodsb/stosb with REP on ECX = 0 must not touch memory. */
	movl	$0, %ecx
	movl	$0x123456, %edi
	rep stosb
	EXPECT	%edi, $0x123456, "rep stosb with ECX = 0"
	ret

t_lock:
	movl	$0, scratch
	lock btsl $5, scratch
	lock btsl $6, scratch
	lock btrl $5, scratch
	lock btcl $0, scratch
	EXPECT	scratch, $0x41, "lock bts/btr/btc"
	lock notl scratch
	lock negl scratch
	EXPECT	scratch, $0x42, "lock not/neg"
	lock decl scratch
	lock subl $1, scratch
	lock andl $0xff, scratch
	lock xorl $0x100, scratch
	EXPECT	scratch, $0x140, "lock dec/sub/and/xor"
	movb	$0x10, scratch
	movb	$0x10, %al
	movb	$0x20, %cl
	lock cmpxchgb %cl, scratch
	movzbl	scratch, %eax
	EXPECT	%eax, $0x20, "cmpxchg byte"
	movl	$3, %eax
	xaddl	%eax, %eax
	EXPECT	%eax, $6, "xadd reg, same reg"
	movl	$9, %eax
	xchgl	%eax, %eax
	EXPECT	%eax, $9, "xchg eax, eax"
	ret

t_misc:
	/* EFLAGS.ID toggles when CPUID exists; AC is writable at CPL 0. */
	pushfl
	popl	%eax
	movl	%eax, %ebx
	xorl	$0x00240000, %eax
	pushl	%eax
	popfl
	pushfl
	popl	%eax
	xorl	%ebx, %eax
	pushl	%ebx
	popfl
	EXPECT	%eax, $0x00240000, "EFLAGS.ID and AC are writable"
	xorl	%eax, %eax
	cpuid
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "cpuid 0: max leaf >= 1"
	movl	$1, %eax
	cpuid
	shrl	$8, %eax
	andl	$0xf, %eax
	xorl	%ecx, %ecx
	cmpl	$6, %eax
	setae	%cl
	EXPECT	%ecx, $1, "cpuid 1: family >= 6"
	rdtsc
	movl	%eax, %esi
	movl	%edx, %edi
	movl	$1000, %ecx
1:	loop	1b
	rdtsc
	subl	%esi, %eax
	sbbl	%edi, %edx
	xorl	%ecx, %ecx
	orl	%eax, %edx
	setnz	%cl
	EXPECT	%ecx, $1, "rdtsc advances"
	ret

/* Patch the very next instruction with a store (SDM Vol 3 11.6). */
t_smc_next:
	movl	$smc_area, %ebx
	xorl	%eax, %eax
	call	*%ebx
	EXPECT	%eax, $1, "unpatched code"
	xorl	%eax, %eax
	movb	$1, smc_flag
	call	*%ebx
	EXPECT	%eax, $2, "store patches the next instruction"
	ret

	.data
/*
 * Called twice: the first time runs smc_next as is (so it is decoded and
 * cached), the second time rewrites it with the store right before it.
 */
smc_area:
	cmpb	$0, smc_flag
	je	smc_next
	movb	$0x02, smc_imm		/* turn "mov $1" into "mov $2" */
smc_next:
	movl	$1, %eax		/* b8 imm32 */
	ret
smc_imm = smc_next + 1
smc_flag:	.byte	0
	.p2align 2
bounds:	.long	0, 10
cc:	.space	16

	.bss
	.p2align 4
scratch:	.space	16
