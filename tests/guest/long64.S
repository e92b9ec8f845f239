/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Long mode: enter IA-32e mode (SDM Vol 3 10.8.5: CR4.PAE, CR3, EFER.LME,
 * CR0.PG, far jump to a 64-bit code segment) with 4-level paging using
 * 1 GiB, 2 MiB and 4 KiB pages, then run 64-bit code: 64-bit arithmetic,
 * REX registers, RIP-relative addressing, calls, stack, string and atomic
 * instructions, page faults, a round trip through compatibility mode.
 *
 * Virtual layout:
 *   0 .. 1 GiB             identity, 2 MiB pages (PD0)
 *   1 GiB .. 2 GiB         1 GiB page onto physical 0 (if CPUID has it)
 *   2 GiB + 0              2 MiB page onto physical 0x200000
 *   2 GiB + 2 MiB          4 KiB pages: physical 0x301000, 0x300000
 *   3 GiB ..               not present
 *   0xffffffff80000000     physical 0 .. 1 GiB (PD0 again)
 */
#define	GUEST_NAME	"long64"
#include "lib.inc"
#include "lib64.inc"

#define	MSR_EFER	0xc0000080
#define	EFER_LME	0x100
#define	EFER_LMA	0x400

	.text
	.code32
test_main:
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_lm
	movl	$0x80000001, %eax
	cpuid
	btl	$29, %edx
	jnc	no_lm
	btl	$26, %edx		/* 1 GiB pages */
	setc	has_1g
	jnc	1f
	movl	$0x83, pdpt + 8		/* PDPT[1]: 1 GiB page at 0 */
1:	movl	$1, %eax
	cpuid
	btl	$13, %ecx
	setc	has_cx16

	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax
	movl	%eax, %cr0
	ljmp	$SEL_CODE64, $lm_entry

no_lm:
	xorl	%eax, %eax
	EXPECT	%eax, $1, "CPUID reports long mode"
	ret

	.code64
lm_entry:
	movl	$stack_top, %esp
	call	idt64_init
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$EFER_LMA, %eax
	EXPECT64 %rax, $EFER_LMA, "EFER.LMA set"
	call	t_regs
	call	t_arith
	call	t_addr
	call	t_stack
	call	t_string
	call	t_atomic
	call	t_paging
	call	t_faults
	call	t_compat
	call	t_smc
	call	t_edge64
	jmp	finish64

t_regs:
	movabsq	$0x123456789abcdef0, %rax
	movq	%rax, %rbx
	shrq	$32, %rbx
	EXPECT64 %rbx, $0x12345678, "movabs 64-bit immediate"
	movq	$-1, %rax
	movl	$1, %eax
	EXPECT64 %rax, $1, "32-bit write zero-extends"
	movq	$-1, %rax
	movw	$0, %ax
	EXPECT64 %rax, $-0x10000, "16-bit write keeps bits 63:16"
	movq	$-1, %rax
	movb	$0, %al
	EXPECT64 %rax, $-0x100, "8-bit write keeps bits 63:8"
	movq	$0x1234, %rsi
	movb	$0x99, %sil
	EXPECT64 %rsi, $0x1299, "REX byte register sil"
	movq	$1, %r8
	movq	$2, %r9
	movq	$3, %r10
	movq	$4, %r11
	movq	$5, %r12
	movq	$6, %r13
	movq	$7, %r14
	movq	$8, %r15
	addq	%r9, %r8
	addq	%r10, %r8
	addq	%r11, %r8
	addq	%r12, %r8
	addq	%r13, %r8
	addq	%r14, %r8
	addq	%r15, %r8
	EXPECT64 %r8, $36, "r8..r15"
	movl	$0xffffffff, %r9d
	movw	$0x1234, %r9w
	movb	$0x56, %r9b
	movl	$0xffff1256, %edx
	EXPECT64 %r9, %rdx, "r9d/r9w/r9b"
	movl	$0x80000000, %eax
	movslq	%eax, %rbx
	EXPECT64 %rbx, $-0x80000000, "movsxd"
	cltq
	EXPECT64 %rax, $-0x80000000, "cdqe"
	cqto
	EXPECT64 %rdx, $-1, "cqo"
	movabsq	$0x123456789abcdef0, %rax
	bswapq	%rax
	movabsq	$0xf0debc9a78563412, %rdx
	EXPECT64 %rax, %rdx, "bswap 64"
	movabsq	$0x8000000000000001, %rax
	bsrq	%rax, %rcx
	EXPECT64 %rcx, $63, "bsr 64"
	btq	$63, %rax
	setc	%cl
	movzbl	%cl, %ecx
	EXPECT64 %rcx, $1, "bt bit 63"
	ret

t_arith:
	movl	$0xffffffff, %eax
	addq	$1, %rax
	movq	$1, %rdx
	shlq	$32, %rdx
	EXPECT64 %rax, %rdx, "64-bit add carries past bit 31"
	movq	$-1, %rax
	addq	$1, %rax
	setc	%bl
	setz	%cl
	movzbl	%bl, %ebx
	movzbl	%cl, %ecx
	EXPECT64 %rbx, $1, "add: CF out of bit 63"
	EXPECT64 %rcx, $1, "add: ZF"
	movabsq	$0x7fffffffffffffff, %rax
	incq	%rax
	seto	%bl
	movzbl	%bl, %ebx
	EXPECT64 %rbx, $1, "inc: OF at 2^63"
	movq	$-1, %rax
	movq	$-1, %rcx
	mulq	%rcx
	EXPECT64 %rdx, $-2, "mul 64: high"
	EXPECT64 %rax, $1, "mul 64: low"
	movabsq	$0x123456789abcdef0, %rax
	movabsq	$0x0fedcba987654321, %rcx
	mulq	%rcx
	movabsq	$0x0121fa00ad77d742, %rbx
	EXPECT64 %rdx, %rbx, "mul 64x64: high half"
	movabsq	$0x2236d88fe5618cf0, %rbx
	EXPECT64 %rax, %rbx, "mul 64x64: low half"
	movq	$1, %rdx
	xorl	%eax, %eax
	movq	$2, %rcx
	divq	%rcx
	movabsq	$0x8000000000000000, %rbx
	EXPECT64 %rax, %rbx, "div 128/64"
	movq	$-100, %rax
	cqto
	movq	$7, %rcx
	idivq	%rcx
	EXPECT64 %rax, $-14, "idiv 64: quotient"
	EXPECT64 %rdx, $-2, "idiv 64: remainder"
	movabsq	$0x123456789abcdef0, %rcx
	imulq	$3, %rcx, %rax
	movabsq	$0x369d0369d0369cd0, %rbx
	EXPECT64 %rax, %rbx, "imul 64 three-operand"
	movq	$1, %rax
	shlq	$63, %rax
	sarq	$63, %rax
	EXPECT64 %rax, $-1, "shl/sar 63"
	movq	$1, %rax
	movb	$65, %cl
	shlq	%cl, %rax
	EXPECT64 %rax, $2, "shl: count masked to 6 bits"
	movabsq	$0x8000000000000001, %rax
	rolq	$4, %rax
	EXPECT64 %rax, $0x18, "rol 64"
	movq	$5, %rax
	addq	$-1, %rax
	EXPECT64 %rax, $4, "add sign-extended imm8"
	movq	$0, %rax
	subq	$0x7fffffff, %rax
	EXPECT64 %rax, $-0x7fffffff, "sub sign-extended imm32"
	movq	$3, %rax
	movq	$5, %rbx
	cmpq	%rbx, %rax
	cmovbq	%rbx, %rax
	EXPECT64 %rax, $5, "cmovb 64"
	movabsq	$0x0000ffff0000ffff, %rax
	notq	%rax
	movabsq	$0xffff0000ffff0000, %rbx
	EXPECT64 %rax, %rbx, "not 64"
	movl	$10, %ecx
	xorl	%eax, %eax
1:	addq	%rcx, %rax
	loop	1b
	EXPECT64 %rax, $55, "loop on RCX"
	ret

t_addr:
	leaq	rip_var(%rip), %rax
	movl	$rip_var, %ebx
	EXPECT64 %rax, %rbx, "lea RIP-relative"
	movabsq	$0x1122334455667788, %rax
	movq	%rax, rip_var(%rip)
	movl	$rip_var, %ebx
	movq	(%rbx), %rbx
	EXPECT64 %rbx, %rax, "store RIP-relative, load absolute"
	movl	$0xaabbccdd, rip_var + 4(%rip)
	movq	rip_var(%rip), %rbx
	movabsq	$0xaabbccdd55667788, %rax
	EXPECT64 %rbx, %rax, "RIP-relative with offset"
	movl	$rip_var, %esi
	movq	$1, %rcx
	movq	-8(%rsi,%rcx,8), %rbx
	EXPECT64 %rbx, %rax, "SIB with 64-bit index"
	/* Address-size prefix: the address is truncated to 32 bits. */
	movq	$1, %rsi
	shlq	$32, %rsi
	movl	$rip_var, %edx
	addq	%rdx, %rsi
	movl	(%esi), %ebx
	EXPECT64 %rbx, $0x55667788, "32-bit address size truncates"
	/* High-half canonical address onto the same memory. */
	movl	$rip_var, %esi
	movabsq	$0xffffffff80000000, %rdi
	addq	%rsi, %rdi
	movq	(%rdi), %rbx
	EXPECT64 %rbx, %rax, "high-half mapping"
	ret

t_stack:
	movq	%rsp, %rbx
	pushq	$-1
	movq	%rsp, %rcx
	popq	%rax
	subq	%rcx, %rbx
	EXPECT64 %rbx, $8, "push moves RSP by 8"
	EXPECT64 %rax, $-1, "push imm sign-extends"
	movq	%rsp, %rbx
	pushw	$0x1234
	movq	%rsp, %rcx
	popw	%ax
	subq	%rcx, %rbx
	EXPECT64 %rbx, $2, "pushw moves RSP by 2"
	movq	$8, %rcx
	xorl	%eax, %eax
	call	recurse64
	EXPECT64 %rax, $8, "recursive calls"
	movl	$fn64, %eax
	call	*%rax
	EXPECT64 %rdx, $0x64, "indirect call through register"
	movq	$0, %rdx
	call	*fn64_ptr(%rip)
	EXPECT64 %rdx, $0x64, "indirect call through memory"
	pushq	%rbp
	movq	%rsp, %rbp
	movq	%rsp, %rbx
	enter	$32, $0
	movq	%rbp, %rax
	subq	%rsp, %rax
	leave
	EXPECT64 %rax, $32, "enter 64"
	movq	%rsp, %rax
	EXPECT64 %rax, %rbx, "leave 64"
	popq	%rbp
	pushfq
	popq	%rax
	andl	$0x200, %eax
	EXPECT64 %rax, $0, "IF still clear"
	ret

recurse64:
	testq	%rcx, %rcx
	jz	1f
	decq	%rcx
	call	recurse64
	incq	%rax
1:	ret

fn64:	movq	$0x64, %rdx
	ret

t_string:
	movl	$buf1, %edi
	movq	$0x0706050403020100, %rax
	movq	$0x0808080808080808, %rdx
	movl	$32, %ecx
1:	stosq
	addq	%rdx, %rax
	loop	1b
	movl	$buf1, %esi
	movl	$buf2, %edi
	movl	$32, %ecx
	rep movsq
	EXPECT64 %rcx, $0, "rep movsq: RCX"
	movq	buf2 + 248(%rip), %rax
	movabsq	$0xfffefdfcfbfaf9f8, %rbx
	EXPECT64 %rax, %rbx, "rep movsq: data"
	movl	$buf2, %edi
	movl	$256, %ecx
	movb	$0x80, %al
	repne scasb
	movl	$buf2 + 0x81, %ebx
	EXPECT64 %rdi, %rbx, "repne scasb 64"
	ret

t_atomic:
	movq	$10, atom(%rip)
	movq	$1, %rax
	lock xaddq %rax, atom(%rip)
	EXPECT64 %rax, $10, "xadd 64"
	movq	$11, %rax
	movq	$-5, %rcx
	lock cmpxchgq %rcx, atom(%rip)
	EXPECT64 atom(%rip), $-5, "cmpxchg 64"
	cmpb	$0, has_cx16(%rip)
	jne	1f
	SKIP64	"cmpxchg16b", "no CX16"
	ret
1:	movq	$1, atom(%rip)
	movq	$2, atom + 8(%rip)
	movq	$1, %rax
	movq	$2, %rdx
	movq	$3, %rbx
	movq	$4, %rcx
	lock cmpxchg16b atom(%rip)
	setz	%al
	movzbl	%al, %eax
	EXPECT64 %rax, $1, "cmpxchg16b success"
	EXPECT64 atom + 8(%rip), $4, "cmpxchg16b stored RCX"
	ret

t_paging:
	movq	%cr3, %rax
	movl	$pml4, %edx
	EXPECT64 %rax, %rdx, "CR3 holds the PML4"
	cmpb	$0, has_1g(%rip)
	jne	1f
	SKIP64	"read through a 1 GiB page", "no 1 GiB pages"
	jmp	2f
1:	movq	$0x12345678, rip_var(%rip)
	movl	$rip_var + 0x40000000, %esi
	movq	(%rsi), %rax
	EXPECT64 %rax, $0x12345678, "read through a 1 GiB page"
	movq	$0x55, (%rsi)
	EXPECT64 rip_var(%rip), $0x55, "write through a 1 GiB page"
2:	movq	$0x200010, %rsi
	movq	$0xabcdef, (%rsi)
	movq	$0x80000010, %rdi
	movq	(%rdi), %rax
	EXPECT64 %rax, $0xabcdef, "2 MiB page alias"
	movq	$0x1111, 0x300000
	movq	$0x2222, 0x301000
	movq	$0x80200000, %rsi
	movq	(%rsi), %rax
	EXPECT64 %rax, $0x2222, "4 KiB page 0 maps 0x301000"
	movq	0x1000(%rsi), %rax
	EXPECT64 %rax, $0x1111, "4 KiB page 1 maps 0x300000"
	/* Change a PTE, INVLPG, and see the new mapping. */
	movq	$0x302003, pt(%rip)
	movq	$0x3333, 0x302000
	invlpg	(%rsi)
	movq	(%rsi), %rax
	EXPECT64 %rax, $0x3333, "PTE change after INVLPG"
	movq	$0x301003, pt(%rip)
	movq	%cr3, %rax
	movq	%rax, %cr3
	movq	(%rsi), %rax
	EXPECT64 %rax, $0x2222, "PTE change after CR3 reload"
	ret

t_faults:
	EXPECT64_FAULT 1f
	movq	$0xc0000000, %rsi
	movq	(%rsi), %rax
1:	EXPECT64_VEC 14, "not-present page: #PF"
	movl	exc_errcode(%rip), %eax
	EXPECT64 %rax, $0, "#PF error code: read, not present"
	movq	%cr2, %rax
	movl	$0xc0000000, %edx
	EXPECT64 %rax, %rdx, "CR2 = faulting address"
	EXPECT64_FAULT 1f
	movq	$0xc0000008, %rsi
	movq	$1, (%rsi)
1:	EXPECT64_VEC 14, "not-present page, write: #PF"
	movl	exc_errcode(%rip), %eax
	EXPECT64 %rax, $2, "#PF error code: write"
	EXPECT64_FAULT 1f
	movabsq	$0x0000800000000000, %rsi
	movq	(%rsi), %rax
1:	EXPECT64_VEC 13, "non-canonical address: #GP"
	EXPECT64_FAULT 1f
	xorl	%ecx, %ecx
	divq	%rcx
1:	EXPECT64_VEC 0, "divide by zero: #DE"
	EXPECT64_FAULT 1f
	.byte	0x27			/* daa: invalid in 64-bit mode */
1:	EXPECT64_VEC 6, "daa in 64-bit mode: #UD"
	ret

/* To 32-bit compatibility mode and back. */
t_compat:
	movq	%rsp, saved_rsp(%rip)
	pushq	$SEL_CODE32
	movl	$compat_code, %eax
	pushq	%rax
	lretq
back64:
	movq	saved_rsp(%rip), %rsp
	EXPECT64 compat_result(%rip), $0x1234, "compatibility mode ran"
	EXPECT64 compat_push(%rip), $4, "compatibility mode pushes 4 bytes"
	movw	%cs, %ax
	movzwl	%ax, %eax
	EXPECT64 %rax, $SEL_CODE64, "back in 64-bit mode"
	ret

	.code32
compat_code:
	movl	$0x1000, %eax
	addl	$0x234, %eax
	movl	%eax, compat_result
	movl	%esp, %ebx
	pushl	$0
	subl	%esp, %ebx
	popl	%eax
	movl	%ebx, compat_push
	ljmp	$SEL_CODE64, $back64
	.code64

/* Patch an immediate of code that already ran, in 64-bit mode. */
t_smc:
	xorl	%ebx, %ebx
	movl	$3, %ecx
1:	call	smc64
	addq	%rax, %rbx
	incl	smc64 + 3(%rip)
	loop	1b
	EXPECT64 %rbx, $(7 + 8 + 9), "patched immediate runs (64-bit)"
	ret

/* Encodings that are easy to get wrong in 64-bit mode. */
t_edge64:
	movq	$-1, %rax
	.byte	0x90			/* nop: RAX unchanged */
	EXPECT64 %rax, $-1, "90 is NOP, not xchg eax,eax"
	.byte	0x87, 0xc0		/* xchg %eax, %eax */
	movl	$0xffffffff, %edx
	EXPECT64 %rax, %rdx, "87 c0 xchg eax,eax zero-extends"
	movq	$5, %r8
	movq	$6, %rax
	.byte	0x49, 0x90		/* xchg %rax, %r8 */
	EXPECT64 %rax, $5, "REX.B 90 is xchg r8, rax"
	EXPECT64 %r8, $6, "REX.B 90: r8"
	movq	$-1, %rax
	movl	%eax, %eax
	movl	$0xffffffff, %edx
	EXPECT64 %rax, %rdx, "movl eax, eax zero-extends"
	movq	$0x123456789, %rax
	movq	%rax, 0x300100
	movabsq	0x300100, %rax		/* a1 moffs64 */
	movq	$0x123456789, %rdx
	EXPECT64 %rax, %rdx, "mov rax, moffs64"
	movq	$0x7fffffff, %rax
	movq	$0x7fffffff, %rbx
	leal	(%rax, %rbx), %ecx
	movl	$0xfffffffe, %edx
	EXPECT64 %rcx, %rdx, "32-bit lea truncates and zero-extends"
	movq	$-1, %rax
	cmpq	$-1, %rax
	sete	%bl
	movzbl	%bl, %ebx
	EXPECT64 %rbx, $1, "cmp with sign-extended imm"
	movq	$0x100000000, %rcx
	movq	$7, %rax
	jrcxz	1f
	movq	$0, %rax
1:	EXPECT64 %rax, $0, "jrcxz tests all of RCX"
	movq	$0x100000003, %rcx
	xorl	%eax, %eax
2:	incl	%eax
	addr32 loop 2b
	EXPECT64 %rax, $3, "addr32 loop counts ECX"
	EXPECT64 %rcx, $0, "addr32 loop writes ECX, zero-extended"
	movq	$-1, %rax
	movw	$0x8000, %ax
	movzwq	%ax, %rbx
	EXPECT64 %rbx, $0x8000, "movzwq"
	movswq	%ax, %rbx
	EXPECT64 %rbx, $-0x8000, "movswq"
	movabsq	$0x8000000000000000, %rax
	movq	$1, %rdx
	shldq	$1, %rax, %rdx
	EXPECT64 %rdx, $3, "shld 64"
	pushq	$-2
	popq	%rax
	EXPECT64 %rax, $-2, "push imm8 sign-extends to 64"
	ret

	.data
smc64:
	movq	$7, %rax		/* 48 c7 c0 imm32 */
	ret

	.p2align 3
rip_var:	.quad	0
fn64_ptr:	.long	fn64, 0
saved_rsp:	.quad	0
compat_result:	.quad	0
compat_push:	.quad	0
has_1g:		.byte	0
has_cx16:	.byte	0

	.p2align 12
pml4:
	.long	pdpt + 3, 0
	.fill	510, 8, 0
	.long	pdpt_hi + 3, 0
pdpt:
	.long	pd0 + 3, 0
	.quad	0			/* 1 GiB page, set if supported */
	.long	pd2 + 3, 0
	.fill	509, 8, 0
pdpt_hi:
	.fill	510, 8, 0
	.long	pd0 + 3, 0
	.quad	0
pd0:
	.set	i, 0
	.rept	512
	.long	(i << 21) | 0x83, 0
	.set	i, i + 1
	.endr
pd2:
	.long	0x200000 | 0x83, 0
	.long	pt + 3, 0
	.fill	510, 8, 0
pt:
	.long	0x301003, 0
	.long	0x300003, 0
	.fill	510, 8, 0

	.bss
	.p2align 4
atom:	.space	16
buf1:	.space	256
buf2:	.space	256
	.text
	.code32
