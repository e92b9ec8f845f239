/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 32-bit protected mode: integer ALU and flags, multiply/divide, shifts
 * and rotates, bit operations, conversions, string instructions, BCD,
 * PUSHA/POPA, ENTER/LEAVE, far call/return, atomics, self-modifying code.
 * Expected values are from the SDM's definitions (checked on QEMU TCG).
 */
#define	GUEST_NAME	"pm32"
#include "lib.inc"

#define	F_CF	0x001
#define	F_PF	0x004
#define	F_AF	0x010
#define	F_ZF	0x040
#define	F_SF	0x080
#define	F_OF	0x800
#define	F_ARITH	(F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define	F_LOGIC	(F_CF | F_PF | F_ZF | F_SF | F_OF)	/* AF undefined */

/* Flags of the last operation, masked, against `want` (clobbers %eax). */
	.macro	FLAGS mask, want, what
	pushfl
	popl	%eax
	andl	$\mask, %eax
	EXPECT	%eax, $\want, "\what"
	.endm

	.text
test_main:
	call	t_alu
	call	t_muldiv
	call	t_shift
	call	t_bits
	call	t_conv
	call	t_string
	call	t_bcd
	call	t_stack
	call	t_far
	call	t_atomic
	call	t_branch
	call	t_smc
	ret

t_alu:
	movl	$0x7fffffff, %ebx
	addl	$1, %ebx
	FLAGS	F_ARITH, F_OF | F_SF | F_AF | F_PF, "add: signed overflow flags"
	EXPECT	%ebx, $0x80000000, "add: 0x7fffffff + 1"
	xorl	%ebx, %ebx
	subl	$1, %ebx
	FLAGS	F_ARITH, F_CF | F_SF | F_AF | F_PF, "sub: borrow flags"
	EXPECT	%ebx, $0xffffffff, "sub: 0 - 1"
	movl	$5, %ebx
	stc
	adcl	$10, %ebx
	FLAGS	F_ARITH, F_AF, "adc: flags"
	EXPECT	%ebx, $16, "adc: 5 + 10 + CF"
	movl	$5, %ebx
	stc
	sbbl	$3, %ebx
	FLAGS	F_ARITH, 0, "sbb: flags"
	EXPECT	%ebx, $1, "sbb: 5 - 3 - CF"
	movl	$0xffffffff, %ebx
	addb	$1, %bl
	FLAGS	F_ARITH, F_CF | F_ZF | F_AF | F_PF, "addb: 8-bit carry out"
	EXPECT	%ebx, $0xffffff00, "addb: only the low byte changes"
	movl	$0x12348000, %ebx
	addw	$0x8000, %bx
	FLAGS	F_ARITH, F_CF | F_ZF | F_OF | F_PF, "addw: 16-bit overflow"
	EXPECT	%ebx, $0x12340000, "addw: 16-bit result"
	movl	$0x1234, %ebx
	movb	$0x56, %bh
	EXPECT	%ebx, $0x5634, "mov to %bh"
	xorl	%ebx, %ebx
	FLAGS	F_LOGIC, F_ZF | F_PF, "xor self: ZF PF"
	movl	$0xf0f0f0f0, %ebx
	andl	$0x8f0f0f0f, %ebx
	FLAGS	F_LOGIC, F_SF | F_PF, "and: SF PF, CF/OF clear"
	EXPECT	%ebx, $0x80000000, "and"
	orl	$0x00000003, %ebx
	EXPECT	%ebx, $0x80000003, "or"
	notl	%ebx
	EXPECT	%ebx, $0x7ffffffc, "not"
	stc
	movl	$0xffffffff, %ebx
	incl	%ebx
	FLAGS	F_CF | F_ZF | F_OF, F_CF | F_ZF, "inc: keeps CF, sets ZF"
	movl	$0x80000000, %ebx
	decl	%ebx
	FLAGS	F_OF | F_SF, F_OF, "dec: overflow"
	movl	$5, %ebx
	negl	%ebx
	FLAGS	F_CF | F_SF | F_ZF, F_CF | F_SF, "neg: CF SF"
	EXPECT	%ebx, $0xfffffffb, "neg"
	movl	$3, %ebx
	cmpl	$5, %ebx
	FLAGS	F_ARITH, F_CF | F_SF | F_AF, "cmp 3, 5"
	EXPECT	%ebx, $3, "cmp leaves operand"
	movl	$0x100, %ebx
	testl	$0x100, %ebx
	FLAGS	F_LOGIC, F_PF, "test"
	/* Memory operands and addressing. */
	movl	$scratch, %esi
	movl	$3, %ecx
	movl	$0x11111111, 12(%esi,%ecx,4)
	addl	$0x22222222, scratch + 24
	EXPECT	scratch + 24, $0x33333333, "add to memory via SIB"
	leal	0x10(%esi,%ecx,8), %edx
	subl	%esi, %edx
	EXPECT	%edx, $0x28, "lea base+index*8+disp"
	movl	$2, %ecx
	leal	(,%ecx,4), %edx
	EXPECT	%edx, $8, "lea index*4, no base"
	movl	$0xaabbccdd, scratch
	movzbl	scratch + 1, %edx
	EXPECT	%edx, $0xcc, "movzbl from memory"
	movsbl	scratch + 3, %edx
	EXPECT	%edx, $0xffffffaa, "movsbl from memory"
	movswl	scratch, %edx
	EXPECT	%edx, $0xffffccdd, "movswl from memory"
	movl	$0x11223344, %edx
	xchgl	%edx, scratch
	EXPECT	%edx, $0xaabbccdd, "xchg reg/mem: old value"
	EXPECT	scratch, $0x11223344, "xchg reg/mem: new value"
	/* LAHF/SAHF, CMC. */
	movb	$0xd5, %ah
	sahf
	lahf
	movzbl	%ah, %eax
	EXPECT	%eax, $0xd7, "sahf/lahf"
	clc
	cmc
	FLAGS	F_CF, F_CF, "cmc"
	movl	$xlat_table, %ebx
	movb	$3, %al
	xlat
	movzbl	%al, %eax
	EXPECT	%eax, $0x33, "xlat"
	ret

t_muldiv:
	movl	$0x12345678, %eax
	movl	$0x9abcdef0, %ecx
	mull	%ecx
	pushfl
	EXPECT	%edx, $0x0b00ea4e, "mul: high half"
	EXPECT	%eax, $0x242d2080, "mul: low half"
	popl	%eax
	andl	$(F_CF | F_OF), %eax
	EXPECT	%eax, $(F_CF | F_OF), "mul: CF OF when high half set"
	movl	$-3, %eax
	movl	$7, %ecx
	imull	%ecx
	EXPECT	%edx, $0xffffffff, "imul: sign-extended high half"
	EXPECT	%eax, $-21, "imul: -3 * 7"
	movl	$1000, %ecx
	imull	$-5, %ecx, %eax
	EXPECT	%eax, $-5000, "imul three-operand"
	movl	$0x10000, %eax
	imull	%eax, %eax
	FLAGS	F_CF | F_OF, F_CF | F_OF, "imul two-operand overflow"
	movl	$0x1, %edx
	movl	$0x5, %eax
	movl	$0x10, %ecx
	divl	%ecx
	EXPECT	%eax, $0x10000000, "div: quotient"
	EXPECT	%edx, $5, "div: remainder"
	movl	$-100, %eax
	cdq
	movl	$7, %ecx
	idivl	%ecx
	EXPECT	%eax, $-14, "idiv: quotient truncates"
	EXPECT	%edx, $-2, "idiv: remainder has dividend's sign"
	movw	$1000, %ax
	movb	$7, %cl
	divb	%cl
	movzwl	%ax, %eax
	EXPECT	%eax, $0x068e, "divb: AH=rem AL=quot"
	movw	$0x1234, %ax
	movw	$0x100, %dx
	movw	$0x1000, %cx
	divw	%cx
	movzwl	%ax, %eax
	movzwl	%dx, %edx
	EXPECT	%eax, $0x1001, "divw: quotient"
	EXPECT	%edx, $0x0234, "divw: remainder"
	movb	$-8, %al
	movb	$9, %cl
	imulb	%cl
	movzwl	%ax, %eax
	EXPECT	%eax, $0xffb8, "imulb: -8 * 9"
	ret

t_shift:
	movl	$0x12345678, %eax
	shll	$4, %eax
	EXPECT	%eax, $0x23456780, "shl 4"
	movl	$0x80000001, %eax
	shll	$1, %eax
	FLAGS	F_CF | F_OF, F_CF | F_OF, "shl 1: CF and OF"
	movl	$0x80000000, %eax
	shrl	$31, %eax
	EXPECT	%eax, $1, "shr 31"
	movl	$0x80000000, %eax
	sarl	$4, %eax
	EXPECT	%eax, $0xf8000000, "sar 4"
	movl	$0x80000001, %eax
	roll	$1, %eax
	pushfl
	EXPECT	%eax, $3, "rol 1"
	popl	%eax
	andl	$F_CF, %eax
	EXPECT	%eax, $F_CF, "rol: CF = bit 0"
	movl	$0x00000003, %eax
	rorl	$1, %eax
	EXPECT	%eax, $0x80000001, "ror 1"
	stc
	xorl	%eax, %eax
	stc
	rcll	$1, %eax
	EXPECT	%eax, $1, "rcl through CF"
	stc
	movl	$0, %eax
	rcrl	$1, %eax
	EXPECT	%eax, $0x80000000, "rcr through CF"
	movl	$0x11223344, %eax
	movl	$0xaabbccdd, %ebx
	shldl	$8, %ebx, %eax
	EXPECT	%eax, $0x223344aa, "shld 8"
	movl	$0x11223344, %eax
	shrdl	$8, %ebx, %eax
	EXPECT	%eax, $0xdd112233, "shrd 8"
	movl	$0x11223344, %eax
	movb	$16, %cl
	shrdl	%cl, %ebx, %eax
	EXPECT	%eax, $0xccdd1122, "shrd cl"
	movl	$1, %eax
	movb	$33, %cl
	shll	%cl, %eax
	EXPECT	%eax, $2, "shl: count masked to 5 bits"
	movl	$0x1234, %eax
	movb	$0, %cl
	stc
	shll	%cl, %eax
	FLAGS	F_CF, F_CF, "shl by 0 keeps flags"
	movb	$0x81, %al
	movb	$9, %cl
	rolb	%cl, %al
	movzbl	%al, %eax
	EXPECT	%eax, $0x03, "rolb 9 = rol 1"
	movw	$0x8001, %ax
	stc
	rclw	$1, %ax
	movzwl	%ax, %eax
	EXPECT	%eax, $0x0003, "rclw"
	ret

t_bits:
	movl	$0x10, %eax
	btl	$4, %eax
	FLAGS	F_CF, F_CF, "bt: bit set"
	movl	$0x10, %eax
	btsl	$0, %eax
	EXPECT	%eax, $0x11, "bts"
	btrl	$4, %eax
	EXPECT	%eax, $0x01, "btr"
	btcl	$31, %eax
	EXPECT	%eax, $0x80000001, "btc"
	movl	$0, scratch
	movl	$0, scratch + 4
	movl	$35, %ecx
	btsl	%ecx, scratch
	EXPECT	scratch + 4, $8, "bts memory, bit offset beyond dword"
	movl	$-1, %ecx
	btsl	%ecx, scratch + 8
	EXPECT	scratch + 4, $0x80000008, "bts memory, negative bit offset"
	movl	$0x00f00000, %eax
	bsfl	%eax, %ecx
	EXPECT	%ecx, $20, "bsf"
	bsrl	%eax, %ecx
	EXPECT	%ecx, $23, "bsr"
	xorl	%eax, %eax
	bsfl	%eax, %ecx
	EXPECT_ZF "bsf of zero sets ZF"
	movl	$0x11223344, %eax
	bswap	%eax
	EXPECT	%eax, $0x44332211, "bswap"
	ret

t_conv:
	movl	$0x12348000, %eax
	cwde
	EXPECT	%eax, $0xffff8000, "cwde"
	cdq
	EXPECT	%edx, $0xffffffff, "cdq"
	movl	$0x1234007f, %eax
	cbtw
	EXPECT	%eax, $0x1234007f, "cbw positive"
	movb	$0x80, %al
	cbtw
	EXPECT	%eax, $0x1234ff80, "cbw negative"
	movl	$3, %eax
	cmpl	$5, %eax
	setl	%bl
	setg	%bh
	setb	%cl
	seta	%ch
	movzwl	%bx, %ebx
	movzwl	%cx, %ecx
	EXPECT	%ebx, $0x0001, "setl / setg"
	EXPECT	%ecx, $0x0001, "setb / seta"
	movl	$-1, %eax
	cmpl	$1, %eax
	setl	%bl
	setb	%cl
	movzbl	%bl, %ebx
	movzbl	%cl, %ecx
	EXPECT	%ebx, $1, "setl: -1 < 1 signed"
	EXPECT	%ecx, $0, "setb: -1 > 1 unsigned"
	movl	$1, %eax
	movl	$2, %ebx
	cmpl	%ebx, %eax
	cmovll	%ebx, %eax
	EXPECT	%eax, $2, "cmovl taken"
	cmovgl	scratch, %eax
	EXPECT	%eax, $2, "cmovg not taken"
	ret

t_string:
	/* Source pattern 0..255 in buf1. */
	movl	$buf1, %edi
	xorl	%eax, %eax
1:	stosb
	incb	%al
	jnz	1b
	movl	$buf1, %esi
	movl	$buf2, %edi
	movl	$100, %ecx
	rep movsb
	EXPECT	%ecx, $0, "rep movsb: ECX = 0"
	EXPECT	%esi, $(buf1 + 100), "rep movsb: ESI advanced"
	EXPECT	buf2 + 96, $0x63626160, "rep movsb: data"
	movl	$buf2 + 128, %edi
	movl	$0xdeadbeef, %eax
	movl	$8, %ecx
	rep stosl
	EXPECT	buf2 + 156, $0xdeadbeef, "rep stosl"
	EXPECT	%edi, $(buf2 + 160), "rep stosl: EDI"
	movb	$0x55, buf2 + 40
	movl	$buf1, %esi
	movl	$buf2, %edi
	movl	$100, %ecx
	repe cmpsb
	EXPECT	%ecx, $59, "repe cmpsb: stops after mismatch"
	EXPECT	%esi, $(buf1 + 41), "repe cmpsb: ESI past mismatch"
	movl	$buf1, %edi
	movl	$256, %ecx
	movb	$0x30, %al
	repne scasb
	EXPECT	%edi, $(buf1 + 0x31), "repne scasb: finds byte"
	EXPECT	%ecx, $(256 - 0x31), "repne scasb: ECX"
	movl	$buf1 + 4, %esi
	std
	lodsl
	cld
	EXPECT	%eax, $0x07060504, "std lodsl"
	EXPECT	%esi, $buf1, "std: ESI decremented"
	movl	$buf1 + 9, %esi
	movl	$buf2 + 209, %edi
	movl	$10, %ecx
	std
	rep movsb
	cld
	EXPECT	buf2 + 200, $0x03020100, "backward rep movsb"
	movl	$buf1, %esi
	movl	$buf2 + 300, %edi
	movl	$0, %ecx
	rep movsb
	EXPECT	%esi, $buf1, "rep with ECX = 0 does nothing"
	movl	$buf1 + 4, %esi
	movl	$buf2 + 300, %edi
	movsw
	movzwl	buf2 + 300, %eax
	EXPECT	%eax, $0x0504, "movsw"
	ret

t_bcd:
	movb	$0x19, %al
	addb	$0x28, %al
	daa
	movzbl	%al, %eax
	EXPECT	%eax, $0x47, "daa: 19 + 28 = 47"
	movb	$0x99, %al
	addb	$0x01, %al
	daa
	pushfl
	movzbl	%al, %eax
	EXPECT	%eax, $0x00, "daa: 99 + 1 = 00"
	popl	%eax
	andl	$F_CF, %eax
	EXPECT	%eax, $F_CF, "daa: decimal carry"
	movb	$0x47, %al
	subb	$0x28, %al
	das
	movzbl	%al, %eax
	EXPECT	%eax, $0x19, "das: 47 - 28 = 19"
	movw	$0x0009, %ax
	addb	$3, %al
	aaa
	movzwl	%ax, %eax
	EXPECT	%eax, $0x0102, "aaa: 9 + 3"
	movw	$0x0102, %ax
	subb	$3, %al
	aas
	movzwl	%ax, %eax
	EXPECT	%eax, $0x0009, "aas: 12 - 3"
	movb	$63, %al
	aam
	movzwl	%ax, %eax
	EXPECT	%eax, $0x0603, "aam"
	aad
	movzwl	%ax, %eax
	EXPECT	%eax, $63, "aad"
	movb	$0x3f, %al
	.byte	0xd4, 0x10		/* aam 16 */
	movzwl	%ax, %eax
	EXPECT	%eax, $0x030f, "aam base 16"
	ret

t_stack:
	movl	$1, %eax
	movl	$2, %ecx
	movl	$3, %edx
	movl	$4, %ebx
	movl	$5, %ebp
	movl	$6, %esi
	movl	$7, %edi
	movl	%esp, saved_esp
	pushal
	movl	12(%esp), %eax		/* pushed ESP */
	movl	%eax, scratch
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%esi, %esi
	xorl	%edi, %edi
	popal
	EXPECT	%eax, $1, "popa: EAX"
	EXPECT	%ebx, $4, "popa: EBX"
	EXPECT	%ebp, $5, "popa: EBP"
	EXPECT	%edi, $7, "popa: EDI"
	movl	%esp, %eax
	EXPECT	%eax, saved_esp, "popa: ESP restored"
	movl	saved_esp, %eax
	EXPECT	scratch, %eax, "pusha: pushed the original ESP"
	movl	%esp, %ebx
	pushl	%ebp
	movl	%esp, %ebp
	enter	$16, $0
	movl	%ebp, %eax
	subl	%esp, %eax
	EXPECT	%eax, $16, "enter: frame size"
	leave
	popl	%ebp
	movl	%esp, %eax
	EXPECT	%eax, %ebx, "leave: stack restored"
	pushw	$0x1234
	popw	%ax
	movzwl	%ax, %eax
	EXPECT	%eax, $0x1234, "16-bit push/pop"
	pushl	%ds
	popl	%eax
	andl	$0xffff, %eax
	EXPECT	%eax, $SEL_DATA32, "push/pop segment register"
	pushl	$0
	popfl
	pushfl
	popl	%eax
	andl	$0x00240fd5, %eax
	EXPECT	%eax, $0, "popf clears arithmetic flags"
	call	1f
1:	popl	%eax
	EXPECT	%eax, $1b, "call pushes return address"
	call	ret_imm
	movl	%esp, %eax
	EXPECT	%eax, %ebx, "ret imm16 pops arguments"
	ret

ret_imm:
	popl	%eax
	pushl	$0
	pushl	$0
	pushl	%eax
	ret	$8

t_far:
	lcall	$SEL_CODE32, $far_fn
	EXPECT	%eax, $SEL_CODE32, "far call pushes CS"
	EXPECT	%ecx, $0x1234, "far call ran"
	movl	%esp, %ebx
	pushl	$0xaa
	lcall	$SEL_CODE32, $far_fn_arg
	movl	%esp, %eax
	EXPECT	%eax, %ebx, "far ret imm pops arguments"
	EXPECT	%ecx, $0xaa, "far call argument"
	ljmp	$SEL_CODE32, $1f
1:	movl	%cs, %eax
	EXPECT	%eax, $SEL_CODE32, "far jump"
	movl	$far_ptr, %eax
	lcall	*(%eax)
	EXPECT	%ecx, $0x1234, "indirect far call"
	ret

far_fn:
	movl	4(%esp), %eax
	andl	$0xffff, %eax
	movl	$0x1234, %ecx
	lret

far_fn_arg:
	movl	8(%esp), %ecx
	lret	$4

t_atomic:
	movl	$10, scratch
	movl	$1, %eax
	lock xaddl %eax, scratch
	EXPECT	%eax, $10, "xadd: old value"
	EXPECT	scratch, $11, "xadd: sum"
	movl	$11, %eax
	movl	$99, %ecx
	lock cmpxchgl %ecx, scratch
	EXPECT_ZF "cmpxchg success: ZF"
	EXPECT	scratch, $99, "cmpxchg success: stored"
	movl	$5, %eax
	lock cmpxchgl %ecx, scratch
	EXPECT	%eax, $99, "cmpxchg failure: EAX = memory"
	movl	$0x11111111, scratch
	movl	$0x22222222, scratch + 4
	movl	$0x11111111, %eax
	movl	$0x22222222, %edx
	movl	$0x33333333, %ebx
	movl	$0x44444444, %ecx
	lock cmpxchg8b scratch
	EXPECT_ZF "cmpxchg8b success"
	EXPECT	scratch + 4, $0x44444444, "cmpxchg8b stores ECX:EBX"
	xorl	%eax, %eax
	xorl	%edx, %edx
	cmpxchg8b scratch
	EXPECT	%eax, $0x33333333, "cmpxchg8b failure loads EDX:EAX"
	movl	$7, scratch
	lock incl scratch
	lock addl $3, scratch
	lock orl $0x100, scratch
	EXPECT	scratch, $0x10b, "lock inc/add/or"
	ret

t_branch:
	movl	$10, %ecx
	xorl	%eax, %eax
1:	addl	%ecx, %eax
	loop	1b
	EXPECT	%eax, $55, "loop sums 10..1"
	xorl	%ecx, %ecx
	movl	$1, %eax
	jecxz	2f
	movl	$0, %eax
2:	EXPECT	%eax, $1, "jecxz taken"
	movl	$5, %ecx
	movl	$buf1, %esi
3:	lodsb
	cmpb	$2, %al
	loopne	3b
	EXPECT	%ecx, $2, "loopne stops on match"
	movl	$jtab, %ebx
	movl	$2, %eax
	jmp	*(%ebx,%eax,4)
4:	movl	$0, %eax
	jmp	6f
5:	movl	$42, %eax
6:	EXPECT	%eax, $42, "indirect jump through table"
	movl	$cfn, %eax
	call	*%eax
	EXPECT	%edx, $0x5a5a, "indirect call"
	/* A chain of calls 8 deep, returning through each. */
	movl	$8, %ecx
	xorl	%eax, %eax
	call	recurse
	EXPECT	%eax, $8, "recursive calls"
	ret

cfn:	movl	$0x5a5a, %edx
	ret

recurse:
	testl	%ecx, %ecx
	jz	1f
	decl	%ecx
	call	recurse
	incl	%eax
1:	ret

/*
 * Self-modifying code: patch the immediate of an instruction that has
 * already run, then run it again (decoded-code caches must notice).
 */
t_smc:
	xorl	%ebx, %ebx
	movl	$3, %ecx
1:	call	smc_target
	addl	%eax, %ebx
	incl	smc_target + 1
	loop	1b
	EXPECT	%ebx, $(100 + 101 + 102), "patched immediate runs"
	movl	$smc_target2, %edi
	movb	$0x40, (%edi)		/* inc %eax */
	xorl	%eax, %eax
	call	smc_target2
	EXPECT	%eax, $1, "patched opcode runs"
	movb	$0x48, (%edi)		/* dec %eax */
	xorl	%eax, %eax
	call	smc_target2
	EXPECT	%eax, $-1, "re-patched opcode runs"
	ret

	.data
smc_target:
	movl	$100, %eax
	ret
smc_target2:
	nop
	ret

	.p2align 2
jtab:	.long	4b, 4b, 5b, 4b
far_ptr:
	.long	far_fn
	.word	SEL_CODE32
xlat_table:
	.byte	0x00, 0x11, 0x22, 0x33
saved_esp:
	.long	0

	.bss
	.p2align 4
scratch:	.space	64
buf1:		.space	512
buf2:		.space	512
