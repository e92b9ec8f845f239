/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU core (decoder, run loop, decode cache, lazy flags, integer
 * handlers) on a fake bus: RAM is a malloc'd buffer, port 0x99 ends a
 * test program with an INOUT exit.  Register-only instructions are also
 * run natively and compared (flags the SDM calls undefined are masked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/decode.h"
#include "tests/unit/fake_cpu.h"

static int
x86_decode_test(const uint8_t *p, unsigned avail, unsigned csz,
    struct x86_insn *in)
{
	return (x86_decode(p, avail, csz, in));
}

/* 64-bit mode, identity mapped with 2 MiB pages over the first 1 GiB. */
static void
tm_long(struct tmach *t)
{
	tm_long_ex(t, 0, 0);
}

/* 32-bit protected mode, flat, no paging. */
static void
tm_prot32(struct tmach *t)
{
	struct x86_cpu *cpu = &t->cpu;
	int i;

	cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	seg_flat(&cpu->seg[X86_CS], 8, 0xc09b);
	for (i = 0; i < X86_NSEG; i++)
		if (i != X86_CS && i < X86_LDTR)
			seg_flat(&cpu->seg[i], 16, 0xc093);
	x86_update_mode(cpu);
	x86_tlb_flush(cpu, true);
	assert_int_equal(cpu->csz, 4);
}

/* Real mode with CS = DS = ES = SS = CODE >> 4. */
static void
tm_real(struct tmach *t)
{
	struct x86_cpu *cpu = &t->cpu;
	int i;

	x86_cpu_reset(cpu);
	for (i = X86_ES; i <= X86_GS; i++) {
		cpu->seg[i].sel = CODE >> 4;
		cpu->seg[i].base = CODE;
	}
	x86_update_mode(cpu);
	assert_int_equal(cpu->csz, 2);
}

/* Run `code` followed by OUT 0x99, AL until that exit. */
static void
tm_run(struct tmach *t, const void *code, size_t len)
{
	struct x86_cpu *cpu = &t->cpu;
	uint64_t start = cpu->csz == 2 ? 0 : CODE;
	int i;

	memcpy(t->ram + CODE, code, len);
	t->ram[CODE + len] = 0xe6;
	t->ram[CODE + len + 1] = 0x99;
	x86_invalidate_code(&t->m, CODE, len + 2);
	cpu->rip = start;
	if (cpu->gpr[X86_RSP] == 0)
		cpu->gpr[X86_RSP] = cpu->csz == 2 ? 0xfff0 : STACK;
	cpu->run_budget = 50000000;	/* a broken test fails, not hangs */
	for (i = 0; i < 100; i++) {
		assert_int_equal(x86_run(cpu, &t->exit), 0);
		if (t->exit.exitcode == VM_EXITCODE_INOUT)
			break;
		assert_int_equal(t->exit.exitcode, VM_EXITCODE_BOGUS);
	}
	assert_int_equal(t->exit.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(t->exit.u.inout.port, 0x99);
	assert_int_equal(cpu->rip, start + len);
}

#define RUN(t, ...) do { \
	static const uint8_t c_[] = { __VA_ARGS__ }; \
	tm_run((t), c_, sizeof(c_)); \
} while (0)

/* ---- Native execution for differential checks ---- */

struct nat {
	uint64_t rax, rbx, rcx, rdx, fl, rsi, rdi;
};

static uint8_t *nat_page;

static void
nat_exec(const uint8_t *insn, size_t n, struct nat *s)
{
	static const uint8_t pre[] = {
		0x53, 0x55, 0x41, 0x54, 0x49, 0x89, 0xfc,
		0x49, 0x8b, 0x04, 0x24, 0x49, 0x8b, 0x5c, 0x24, 0x08,
		0x49, 0x8b, 0x4c, 0x24, 0x10, 0x49, 0x8b, 0x54, 0x24, 0x18,
		0x49, 0x8b, 0x74, 0x24, 0x28, 0x49, 0x8b, 0x7c, 0x24, 0x30,
		0x41, 0xff, 0x74, 0x24, 0x20, 0x9d,
	};
	static const uint8_t post[] = {
		0x9c, 0x41, 0x8f, 0x44, 0x24, 0x20,
		0x49, 0x89, 0x04, 0x24, 0x49, 0x89, 0x5c, 0x24, 0x08,
		0x49, 0x89, 0x4c, 0x24, 0x10, 0x49, 0x89, 0x54, 0x24, 0x18,
		0x49, 0x89, 0x74, 0x24, 0x28, 0x49, 0x89, 0x7c, 0x24, 0x30,
		0x41, 0x5c, 0x5d, 0x5b, 0xc3,
	};
	void (*fn)(struct nat *);

	if (nat_page == NULL) {
		nat_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(nat_page != MAP_FAILED);
	}
	memcpy(nat_page, pre, sizeof(pre));
	memcpy(nat_page + sizeof(pre), insn, n);
	memcpy(nat_page + sizeof(pre) + n, post, sizeof(post));
	__builtin___clear_cache((char *)nat_page, (char *)nat_page + 4096);
	fn = (void (*)(struct nat *))(void *)nat_page;
	fn(s);
}

static void
emu_exec(struct tmach *t, const uint8_t *insn, size_t n, struct nat *s)
{
	struct x86_cpu *cpu = &t->cpu;

	cpu->gpr[X86_RAX] = s->rax;
	cpu->gpr[X86_RBX] = s->rbx;
	cpu->gpr[X86_RCX] = s->rcx;
	cpu->gpr[X86_RDX] = s->rdx;
	cpu->gpr[X86_RSI] = s->rsi;
	cpu->gpr[X86_RDI] = s->rdi;
	x86_set_flags(cpu, s->fl);
	tm_run(t, insn, n);
	s->rsi = cpu->gpr[X86_RSI];
	s->rdi = cpu->gpr[X86_RDI];
	s->rax = cpu->gpr[X86_RAX];
	s->rbx = cpu->gpr[X86_RBX];
	s->rcx = cpu->gpr[X86_RCX];
	s->rdx = cpu->gpr[X86_RDX];
	s->fl = x86_get_flags(cpu);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

static uint64_t
rnd_val(void)
{
	static const uint64_t special[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff,
	    0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
	    0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0x10, 0xf,
	    0x99, 0x9a, 0x100 };
	uint64_t r = rnd();

	switch (r & 7) {
	case 0:
	case 1:
		return (special[(r >> 8) % (sizeof(special) / 8)]);
	case 2:
		return (rnd() & 0xff);
	case 3:
		return (rnd() & 0xffff);
	case 4:
		return (special[(r >> 8) % (sizeof(special) / 8)] +
		    (rnd() & 3) - 1);
	default:
		return (rnd());
	}
}

/* Undefined-flag rules of one test instruction. */
enum { U_NONE, U_LOGIC, U_SHIFT, U_ROT, U_SHXD, U_MUL, U_DIV, U_BT, U_BSF,
    U_CNT };

struct dcase {
	const char	*name;
	uint8_t		bytes[12];
	uint8_t		len;
	uint8_t		size;
	uint8_t		undef;
	uint8_t		div;	/* inputs must not fault */
};

#define C(n, sz, u, ...) { n, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), sz, u, 0 }
#define CD(n, sz, ...) { n, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), sz, U_DIV, 1 }

static const struct dcase dcases[] = {
	C("add r64", 8, U_NONE, 0x48, 0x01, 0xd8),
	C("add r32", 4, U_NONE, 0x01, 0xd8),
	C("add r16", 2, U_NONE, 0x66, 0x01, 0xd8),
	C("add r8", 1, U_NONE, 0x00, 0xd8),
	C("add ah,bh", 1, U_NONE, 0x00, 0xfc),
	C("adc r64", 8, U_NONE, 0x48, 0x11, 0xd8),
	C("adc r8", 1, U_NONE, 0x10, 0xd8),
	C("adc r16", 2, U_NONE, 0x66, 0x13, 0xc3),
	C("sub r32", 4, U_NONE, 0x29, 0xd8),
	C("sbb r64", 8, U_NONE, 0x48, 0x19, 0xd8),
	C("sbb r8", 1, U_NONE, 0x18, 0xd8),
	C("sbb r32", 4, U_NONE, 0x1b, 0xc3),
	C("cmp r64", 8, U_NONE, 0x48, 0x39, 0xd8),
	C("cmp r16", 2, U_NONE, 0x66, 0x39, 0xd8),
	C("and r64", 8, U_LOGIC, 0x48, 0x21, 0xd8),
	C("or r8", 1, U_LOGIC, 0x08, 0xd8),
	C("xor r32", 4, U_LOGIC, 0x31, 0xd8),
	C("test r16", 2, U_LOGIC, 0x66, 0x85, 0xd8),
	C("add imm8", 8, U_NONE, 0x48, 0x83, 0xc0, 0x80),
	C("sub al,imm", 1, U_NONE, 0x2c, 0x81),
	C("adc eax,imm", 4, U_NONE, 0x15, 0x01, 0x00, 0x00, 0x80),
	C("cmp rax,imm", 8, U_NONE, 0x48, 0x3d, 0xff, 0xff, 0xff, 0x7f),
	C("inc r64", 8, U_NONE, 0x48, 0xff, 0xc0),
	C("inc r8", 1, U_NONE, 0xfe, 0xc0),
	C("dec r16", 2, U_NONE, 0x66, 0xff, 0xc8),
	C("dec r32", 4, U_NONE, 0xff, 0xc8),
	C("neg r64", 8, U_NONE, 0x48, 0xf7, 0xd8),
	C("neg r8", 1, U_NONE, 0xf6, 0xd8),
	C("not r32", 4, U_NONE, 0xf7, 0xd0),
	C("shl r64,cl", 8, U_SHIFT, 0x48, 0xd3, 0xe0),
	C("shl r8,cl", 1, U_SHIFT, 0xd2, 0xe0),
	C("shl r16,cl", 2, U_SHIFT, 0x66, 0xd3, 0xe0),
	C("shr r32,cl", 4, U_SHIFT, 0xd3, 0xe8),
	C("shr r8,cl", 1, U_SHIFT, 0xd2, 0xe8),
	C("sar r64,cl", 8, U_SHIFT, 0x48, 0xd3, 0xf8),
	C("sar r16,cl", 2, U_SHIFT, 0x66, 0xd3, 0xf8),
	C("sar r8,cl", 1, U_SHIFT, 0xd2, 0xf8),
	C("shl r32,1", 4, U_SHIFT, 0xd1, 0xe0),
	C("sar r8,1", 1, U_SHIFT, 0xd0, 0xf8),
	C("rol r64,cl", 8, U_ROT, 0x48, 0xd3, 0xc0),
	C("rol r8,cl", 1, U_ROT, 0xd2, 0xc0),
	C("ror r32,cl", 4, U_ROT, 0xd3, 0xc8),
	C("ror r16,cl", 2, U_ROT, 0x66, 0xd3, 0xc8),
	C("rcl r64,cl", 8, U_ROT, 0x48, 0xd3, 0xd0),
	C("rcl r8,cl", 1, U_ROT, 0xd2, 0xd0),
	C("rcl r16,cl", 2, U_ROT, 0x66, 0xd3, 0xd0),
	C("rcr r32,cl", 4, U_ROT, 0xd3, 0xd8),
	C("rcr r8,cl", 1, U_ROT, 0xd2, 0xd8),
	C("rcr r16,cl", 2, U_ROT, 0x66, 0xd3, 0xd8),
	C("rcr r64,1", 8, U_ROT, 0x48, 0xd1, 0xd8),
	C("shld r64", 8, U_SHXD, 0x48, 0x0f, 0xa5, 0xd8),
	C("shld r32", 4, U_SHXD, 0x0f, 0xa5, 0xd8),
	C("shld r16", 2, U_SHXD, 0x66, 0x0f, 0xa5, 0xd8),
	C("shrd r64", 8, U_SHXD, 0x48, 0x0f, 0xad, 0xd8),
	C("shrd r32", 4, U_SHXD, 0x0f, 0xad, 0xd8),
	C("shrd r16", 2, U_SHXD, 0x66, 0x0f, 0xad, 0xd8),
	C("mul r64", 8, U_MUL, 0x48, 0xf7, 0xe3),
	C("mul r8", 1, U_MUL, 0xf6, 0xe3),
	C("mul r16", 2, U_MUL, 0x66, 0xf7, 0xe3),
	C("imul r32", 4, U_MUL, 0xf7, 0xeb),
	C("imul r8", 1, U_MUL, 0xf6, 0xeb),
	C("imul r64", 8, U_MUL, 0x48, 0xf7, 0xeb),
	C("imul r64,r64", 8, U_MUL, 0x48, 0x0f, 0xaf, 0xc3),
	C("imul r16,r16,i8", 2, U_MUL, 0x66, 0x6b, 0xc3, 0x85),
	C("imul r32,r32,i32", 4, U_MUL, 0x69, 0xc3, 0x01, 0x00, 0x01, 0x00),
	CD("div r64", 8, 0x48, 0xf7, 0xf3),
	CD("div r32", 4, 0xf7, 0xf3),
	CD("div r16", 2, 0x66, 0xf7, 0xf3),
	CD("div r8", 1, 0xf6, 0xf3),
	CD("idiv r64", 8, 0x48, 0xf7, 0xfb),
	CD("idiv r32", 4, 0xf7, 0xfb),
	CD("idiv r16", 2, 0x66, 0xf7, 0xfb),
	CD("idiv r8", 1, 0xf6, 0xfb),
	C("bt r64", 8, U_BT, 0x48, 0x0f, 0xa3, 0xd8),
	C("bts r32", 4, U_BT, 0x0f, 0xab, 0xd8),
	C("btr r16", 2, U_BT, 0x66, 0x0f, 0xb3, 0xd8),
	C("btc r64", 8, U_BT, 0x48, 0x0f, 0xbb, 0xd8),
	C("btc r64,imm", 8, U_BT, 0x48, 0x0f, 0xba, 0xf8, 0x3f),
	C("bsf r64", 8, U_BSF, 0x48, 0x0f, 0xbc, 0xc3),
	C("bsr r32", 4, U_BSF, 0x0f, 0xbd, 0xc3),
	C("bsr r16", 2, U_BSF, 0x66, 0x0f, 0xbd, 0xc3),
	C("lzcnt r32", 4, U_CNT, 0xf3, 0x0f, 0xbd, 0xc3),
	C("lzcnt r16", 2, U_CNT, 0x66, 0xf3, 0x0f, 0xbd, 0xc3),
	C("popcnt r64", 8, U_NONE, 0xf3, 0x48, 0x0f, 0xb8, 0xc3),
	C("cmove r64", 8, U_NONE, 0x48, 0x0f, 0x44, 0xc3),
	C("cmovl r32", 4, U_NONE, 0x0f, 0x4c, 0xc3),
	C("cmovbe r16", 2, U_NONE, 0x66, 0x0f, 0x46, 0xc3),
	C("cmovp r32", 4, U_NONE, 0x0f, 0x4a, 0xc3),
	C("setg al", 1, U_NONE, 0x0f, 0x9f, 0xc0),
	C("seto ah", 1, U_NONE, 0x0f, 0x90, 0xc4),
	C("setns bl", 1, U_NONE, 0x0f, 0x99, 0xc3),
	C("xadd r64", 8, U_NONE, 0x48, 0x0f, 0xc1, 0xd8),
	C("xadd r8", 1, U_NONE, 0x0f, 0xc0, 0xd8),
	C("cmpxchg r64", 8, U_NONE, 0x48, 0x0f, 0xb1, 0xd8),
	C("cmpxchg r32", 4, U_NONE, 0x0f, 0xb1, 0xd8),
	C("cmpxchg r8", 1, U_NONE, 0x0f, 0xb0, 0xd8),
	C("cbw", 2, U_NONE, 0x66, 0x98),
	C("cwde", 4, U_NONE, 0x98),
	C("cdqe", 8, U_NONE, 0x48, 0x98),
	C("cwd", 2, U_NONE, 0x66, 0x99),
	C("cdq", 4, U_NONE, 0x99),
	C("cqo", 8, U_NONE, 0x48, 0x99),
	C("bswap r64", 8, U_NONE, 0x48, 0x0f, 0xc8),
	C("bswap r32", 4, U_NONE, 0x0f, 0xcb),
	C("lahf", 1, U_NONE, 0x9f),
	C("sahf", 1, U_NONE, 0x9e),
	C("movsx r64,r8", 8, U_NONE, 0x48, 0x0f, 0xbe, 0xc3),
	C("movzx r32,r16", 4, U_NONE, 0x0f, 0xb7, 0xc3),
	C("movsxd", 8, U_NONE, 0x48, 0x63, 0xc3),
	C("movsx r16,bh", 2, U_NONE, 0x66, 0x0f, 0xbe, 0xc7),
	C("xchg r32", 4, U_NONE, 0x87, 0xd8),
	C("xchg ax,bx", 2, U_NONE, 0x66, 0x93),
	C("lea", 8, U_NONE, 0x48, 0x8d, 0x44, 0x9a, 0x7f),
	C("lea32", 4, U_NONE, 0x67, 0x8d, 0x04, 0x5b),
	C("cmc", 1, U_NONE, 0xf5),
	C("mov r8 imm", 1, U_NONE, 0xb7, 0x12),
	C("mov r64 imm", 8, U_NONE, 0x48, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8),
	C("mov r32 imm", 8, U_NONE, 0xb9, 0xff, 0xff, 0xff, 0xff),
	C("mov r16,r16", 2, U_NONE, 0x66, 0x89, 0xd8),
};

static uint64_t
undef_mask(const struct dcase *d, const struct nat *in)
{
	unsigned bits = d->size * 8;
	unsigned c = (unsigned)in->rcx & (d->size == 8 ? 63 : 31);

	switch (d->undef) {
	case U_LOGIC:
		return (X86_AF);
	case U_SHIFT:
		if (d->bytes[d->len - 2] == 0xd1 || d->bytes[d->len - 2] == 0xd0)
			c = 1;
		if (c == 0)
			return (0);
		return (X86_AF | (c != 1 ? X86_OF : 0) |
		    (c >= bits ? X86_CF : 0));
	case U_ROT:
		if (d->bytes[d->len - 2] == 0xd1 || d->bytes[d->len - 2] == 0xd0)
			c = 1;
		return (c != 1 && c != 0 ? X86_OF : 0);
	case U_SHXD:
		if (memchr(d->bytes, 0xac, d->len) || memchr(d->bytes, 0xa4,
		    d->len))
			c = d->bytes[d->len - 1] & (d->size == 8 ? 63 : 31);
		if (c == 0)
			return (0);
		if (c > bits)
			return (X86_ARITH_FLAGS);
		return (X86_AF | (c != 1 ? X86_OF : 0));
	case U_MUL:
		return (X86_SF | X86_ZF | X86_AF | X86_PF);
	case U_DIV:
		return (X86_ARITH_FLAGS);
	case U_BT:
		return (X86_OF | X86_SF | X86_AF | X86_PF);
	case U_BSF:
		return (X86_CF | X86_OF | X86_SF | X86_AF | X86_PF);
	case U_CNT:
		return (X86_OF | X86_SF | X86_AF | X86_PF);
	default:
		return (0);
	}
}

/* Inputs that keep DIV/IDIV from faulting natively. */
static void
fix_div(const struct dcase *d, struct nat *s)
{
	uint64_t m = d->size == 8 ? ~0ull : (1ull << (8 * d->size)) - 1;
	bool sgn = d->bytes[d->len - 1] == 0xfb;

	if ((s->rbx & m) == 0)
		s->rbx |= 3;
	if (d->size == 1) {
		s->rax &= ~0xff00ull;	/* AH = 0: AX < 256 */
		if (sgn && (s->rax & 0x80))
			s->rax |= 0xff00;
		if (sgn && (s->rbx & 0xff) == 0xff && (s->rax & 0xffff) ==
		    0xff80)
			s->rax = 0;
		return;
	}
	if (sgn) {
		if ((s->rbx & m) == m && (s->rax & m) == (m >> 1) + 1)
			s->rax = 0;
		s->rdx = (s->rax & (1ull << (8 * d->size - 1))) ? ~0ull : 0;
	} else {
		s->rdx = 0;
	}
}

static bool
legacy_ok(const struct dcase *d)
{
	unsigned i;

	for (i = 0; i < d->len; i++) {
		if (d->bytes[i] == 0x67 || (d->bytes[i] & 0xf0) == 0x40)
			return (false);
		if (d->bytes[i] != 0x66 && d->bytes[i] != 0xf3 &&
		    d->bytes[i] != 0xf2)
			break;
	}
	/* 0x63 is ARPL there; LAHF/SAHF, BSWAP r64 need 64-bit mode */
	return (d->bytes[i] != 0x63 && d->size != 8);
}

/* The same instruction for 16-bit code: 0 when there is none. */
static size_t
to_real(const struct dcase *d, uint8_t *out)
{
	size_t i, n = 0;
	bool p66 = false;

	for (i = 0; i < d->len; i++) {
		if (d->bytes[i] == 0x66 && !p66) {
			p66 = true;
			continue;
		}
		out[n++] = d->bytes[i];
	}
	if (d->size == 2 && p66)
		return (n);
	if (d->size == 1 && !p66)
		return (n);
	if (d->size == 4 && !p66) {
		out[0] = 0x66;
		memcpy(out + 1, d->bytes, d->len);
		return (d->len + 1);
	}
	return (0);
}

static void
test_diff_regs(void **state)
{
	struct tmach *t = tm_new(), *t32 = tm_new(), *t16 = tm_new();
	struct nat in, nat, emu;
	uint64_t mask, regs_ok;
	uint8_t rbytes[16];
	size_t i, rlen;
	int k, bad = 0;

	tm_long(t);
	tm_prot32(t32);
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *d = &dcases[i];

		for (k = 0; k < 300; k++) {
			in.rax = rnd_val();
			in.rbx = rnd_val();
			in.rcx = k < 70 ? (uint64_t)k : rnd_val();
			if (d->undef == U_SHXD && d->size == 2)
				in.rcx &= 15;
			in.rdx = rnd_val();
			in.fl = (rnd() & (X86_ARITH_FLAGS)) | 2;
			if (d->div)
				fix_div(d, &in);
			nat = in;
			emu = in;
			nat_exec(d->bytes, d->len, &nat);
			emu_exec(t, d->bytes, d->len, &emu);
			mask = X86_ARITH_FLAGS & ~undef_mask(d, &in);
			regs_ok = nat.rax == emu.rax && nat.rbx == emu.rbx &&
			    nat.rcx == emu.rcx && nat.rdx == emu.rdx;
			/*
			 * Without REX and 67 the same bytes mean the same in
			 * 32-bit protected mode: the results must agree.
			 */
			if (regs_ok && legacy_ok(d)) {
				emu = in;
				emu_exec(t32, d->bytes, d->len, &emu);
				regs_ok = nat.rax == emu.rax &&
				    nat.rbx == emu.rbx && nat.rcx == emu.rcx &&
				    nat.rdx == emu.rdx;
			}
			/* and in real mode, with the 66 prefix flipped */
			if (regs_ok && legacy_ok(d) && (rlen = to_real(d,
			    rbytes)) != 0) {
				emu = in;
				tm_real(t16);
				t16->cpu.gpr[X86_RSP] = 0xfff0;
				emu_exec(t16, rbytes, rlen, &emu);
				regs_ok = nat.rax == emu.rax &&
				    nat.rbx == emu.rbx && nat.rcx == emu.rcx &&
				    nat.rdx == emu.rdx &&
				    ((nat.fl ^ emu.fl) & mask) == 0;
			}
			if (!regs_ok || ((nat.fl ^ emu.fl) & mask) != 0) {
				if (bad++ < 40)
					printf("%s: in rax=%#jx rbx=%#jx "
					    "rcx=%#jx rdx=%#jx fl=%#jx\n"
					    "  native rax=%#jx rbx=%#jx rcx=%#jx "
					    "rdx=%#jx fl=%#jx\n"
					    "  ours   rax=%#jx rbx=%#jx rcx=%#jx "
					    "rdx=%#jx fl=%#jx mask %#jx\n",
					    d->name, (uintmax_t)in.rax,
					    (uintmax_t)in.rbx, (uintmax_t)in.rcx,
					    (uintmax_t)in.rdx, (uintmax_t)in.fl,
					    (uintmax_t)nat.rax,
					    (uintmax_t)nat.rbx, (uintmax_t)nat.rcx,
					    (uintmax_t)nat.rdx, (uintmax_t)nat.fl,
					    (uintmax_t)emu.rax,
					    (uintmax_t)emu.rbx, (uintmax_t)emu.rcx,
					    (uintmax_t)emu.rdx, (uintmax_t)emu.fl,
					    (uintmax_t)mask);
			}
		}
	}
	tm_free(t);
	tm_free(t32);
	tm_free(t16);
	assert_int_equal(bad, 0);
}

/* Memory-operand forms: rsi/rdi point into a 64-byte buffer. */
static const struct dcase mcases[] = {
	C("add [rsi],rbx", 8, U_NONE, 0x48, 0x01, 0x1e),
	C("adc [rsi+1],bl", 1, U_NONE, 0x10, 0x5e, 0x01),
	C("sub ebx,[rsi+4]", 4, U_NONE, 0x2b, 0x5e, 0x04),
	C("cmp [rsi],bx", 2, U_NONE, 0x66, 0x39, 0x1e),
	C("cmp dword [rsi],imm8", 4, U_NONE, 0x83, 0x3e, 0x80),
	C("and ax,[rsi]", 2, U_LOGIC, 0x66, 0x23, 0x06),
	C("lock or [rsi],rbx", 8, U_LOGIC, 0xf0, 0x48, 0x09, 0x1e),
	C("lock sbb [rsi],ebx", 4, U_NONE, 0xf0, 0x19, 0x1e),
	C("lock xadd [rsi],rax", 8, U_NONE, 0xf0, 0x48, 0x0f, 0xc1, 0x06),
	C("xadd [rsi],bx", 2, U_NONE, 0x66, 0x0f, 0xc1, 0x1e),
	C("lock cmpxchg [rsi],rbx", 8, U_NONE, 0xf0, 0x48, 0x0f, 0xb1, 0x1e),
	C("cmpxchg [rsi],bl", 1, U_NONE, 0x0f, 0xb0, 0x1e),
	C("cmpxchg8b [rsi]", 4, U_NONE, 0x0f, 0xc7, 0x0e),
	C("lock cmpxchg8b [rsi]", 4, U_NONE, 0xf0, 0x0f, 0xc7, 0x0e),
	C("xchg [rsi],ebx", 4, U_NONE, 0x87, 0x1e),
	C("bts [rsi],rbx", 8, U_BT, 0x48, 0x0f, 0xab, 0x1e),
	C("btc [rsi],ebx", 4, U_BT, 0x0f, 0xbb, 0x1e),
	C("btr [rsi],bx", 2, U_BT, 0x66, 0x0f, 0xb3, 0x1e),
	C("bt [rsi],rbx", 8, U_BT, 0x48, 0x0f, 0xa3, 0x1e),
	C("lock bts [rsi],ebx", 4, U_BT, 0xf0, 0x0f, 0xab, 0x1e),
	C("shl [rsi],cl", 8, U_SHIFT, 0x48, 0xd3, 0x26),
	C("rcr word [rsi],1", 2, U_ROT, 0x66, 0xd1, 0x1e),
	C("rol byte [rsi],cl", 1, U_ROT, 0xd2, 0x06),
	C("neg qword [rsi]", 8, U_NONE, 0x48, 0xf7, 0x1e),
	C("not dword [rsi]", 4, U_NONE, 0xf7, 0x16),
	C("inc word [rsi]", 2, U_NONE, 0x66, 0xff, 0x06),
	C("lock dec byte [rsi]", 1, U_NONE, 0xf0, 0xfe, 0x0e),
	C("imul rbx,[rsi],7", 8, U_MUL, 0x48, 0x6b, 0x1e, 0x07),
	C("mul qword [rsi]", 8, U_MUL, 0x48, 0xf7, 0x26),
	C("movzx ebx,word [rsi]", 4, U_NONE, 0x0f, 0xb7, 0x1e),
	C("movsx rbx,byte [rsi+3]", 8, U_NONE, 0x48, 0x0f, 0xbe, 0x5e, 0x03),
	C("movzx ebx,byte [rsi+rax*1]", 4, U_NONE, 0x0f, 0xb6, 0x1c, 0x06),
	C("cmovne rbx,[rsi]", 8, U_NONE, 0x48, 0x0f, 0x45, 0x1e),
	C("cmovg ebx,[rsi]", 4, U_NONE, 0x0f, 0x4f, 0x1e),
	C("setc [rsi]", 1, U_NONE, 0x0f, 0x92, 0x06),
	C("shld [rsi],rbx,cl", 8, U_SHXD, 0x48, 0x0f, 0xa5, 0x1e),
	C("shrd [rsi],ebx,5", 4, U_SHXD, 0x0f, 0xac, 0x1e, 0x05),
	C("popcnt rbx,[rsi]", 8, U_NONE, 0xf3, 0x48, 0x0f, 0xb8, 0x1e),
	C("bsr ebx,[rsi]", 4, U_BSF, 0x0f, 0xbd, 0x1e),
	C("mov [rsi+rax*1+2],bx", 2, U_NONE, 0x66, 0x89, 0x5c, 0x06, 0x02),
	C("mov rbx,[rsi]", 8, U_NONE, 0x48, 0x8b, 0x1e),
	C("mov dword [rsi],imm", 4, U_NONE, 0xc7, 0x06, 0x78, 0x56, 0x34, 0x12),
	C("rep movsb", 1, U_NONE, 0xf3, 0xa4),
	C("rep movsq", 8, U_NONE, 0xf3, 0x48, 0xa5),
	C("rep stosd", 4, U_NONE, 0xf3, 0xab),
	C("repe cmpsb", 1, U_NONE, 0xf3, 0xa6),
	C("repne scasw", 2, U_NONE, 0xf2, 0x66, 0xaf),
	C("lodsq", 8, U_NONE, 0x48, 0xad),
	C("stosw", 2, U_NONE, 0x66, 0xab),
	C("cmpsd", 4, U_NONE, 0xa7),
};

static void
test_diff_mem(void **state)
{
	struct tmach *t = tm_new();
	uint8_t hbuf[512], init[512];
	struct nat in, nat, emu;
	uint64_t mask;
	size_t i, j;
	int k, bad = 0;

	tm_long(t);
	for (i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		const struct dcase *d = &mcases[i];

		for (k = 0; k < 300; k++) {
			for (j = 0; j < sizeof(init); j++)
				init[j] = (uint8_t)(k & 1 ? rnd_val() :
				    rnd() & 3);
			in.rax = rnd() & 15;
			in.rbx = rnd_val();
			in.rcx = rnd() & (k & 2 ? 15 : 63);
			in.rdx = rnd_val();
			if (d->undef == U_BT)
				in.rbx = (rnd() & 511) - 256;
			if (k & 4) {	/* make compares succeed */
				memcpy(&in.rax, init + 32, 8);
				memcpy(&in.rdx, init + 36, 4);
				in.rax &= 15;
			}
			in.fl = (rnd() & (X86_ARITH_FLAGS)) | 2;
			nat = in;
			emu = in;
			memcpy(hbuf, init, sizeof(init));
			memcpy(t->ram + DATA, init, sizeof(init));
			nat.rsi = (uint64_t)(uintptr_t)(hbuf + 32);
			nat.rdi = (uint64_t)(uintptr_t)(hbuf + 160);
			emu.rsi = DATA + 32;
			emu.rdi = DATA + 160;
			nat_exec(d->bytes, d->len, &nat);
			emu_exec(t, d->bytes, d->len, &emu);
			mask = X86_ARITH_FLAGS & ~undef_mask(d, &in);
			if (nat.rax != emu.rax || nat.rbx != emu.rbx ||
			    nat.rcx != emu.rcx || nat.rdx != emu.rdx ||
			    nat.rsi - (uint64_t)(uintptr_t)hbuf !=
			    emu.rsi - DATA ||
			    nat.rdi - (uint64_t)(uintptr_t)hbuf !=
			    emu.rdi - DATA ||
			    memcmp(hbuf, t->ram + DATA, sizeof(hbuf)) != 0 ||
			    ((nat.fl ^ emu.fl) & mask) != 0) {
				if (bad++ < 20)
					printf("%s (k=%d): native rax=%#jx "
					    "rbx=%#jx rcx=%#jx fl=%#jx | ours "
					    "rax=%#jx rbx=%#jx rcx=%#jx fl=%#jx "
					    "mem %s\n", d->name, k,
					    (uintmax_t)nat.rax,
					    (uintmax_t)nat.rbx, (uintmax_t)nat.rcx,
					    (uintmax_t)nat.fl, (uintmax_t)emu.rax,
					    (uintmax_t)emu.rbx, (uintmax_t)emu.rcx,
					    (uintmax_t)emu.fl,
					    memcmp(hbuf, t->ram + DATA,
					    sizeof(hbuf)) ? "differs" : "same");
			}
		}
	}
	tm_free(t);
	assert_int_equal(bad, 0);
}

/* ---- Directed tests ---- */

/* An OUT that exits is completed by the replay log, not repeated. */
static int replay_outs;

static int
replay_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	if (port == 0x99)
		return (X86_EXIT);
	replay_outs++;
	return (X86_EXIT);
}

static void
test_replay(void **state)
{
	static struct x86_bus bus;
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;
	static const uint8_t code[] = { 0xb0, 0x41, 0xe6, 0x80, 0xe6, 0x80,
	    0xe4, 0x81, 0xe6, 0x99 };
	int i;

	bus = tm_bus;
	bus.pio = replay_pio;
	cpu->bus = &bus;
	tm_long(t);
	memcpy(t->ram + CODE, code, sizeof(code));
	x86_invalidate_code(&t->m, CODE, sizeof(code));
	cpu->rip = CODE;
	cpu->gpr[X86_RSP] = STACK;
	for (i = 0; i < 10; i++) {
		assert_int_equal(x86_run(cpu, &t->exit), 0);
		assert_int_equal(t->exit.exitcode, VM_EXITCODE_INOUT);
		if (t->exit.u.inout.port == 0x99)
			break;
		if (t->exit.u.inout.in)
			x86_complete_read(cpu, 0x5a);
	}
	/* two OUTs and one IN reached the bus once each */
	assert_int_equal(replay_outs, 3);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xff, 0x5a);
	assert_int_equal(cpu->rip, CODE + 8);
	tm_free(t);
}

static void
test_stack_call(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_long(t);
	/*
	 * mov rax, 5; call f; jmp end; f: push rax; pop rbx; add rbx, rbx;
	 * ret; end:
	 */
	RUN(t, 0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00, 0x00,
	    0xe8, 0x02, 0x00, 0x00, 0x00,
	    0xeb, 0x06,
	    0x50, 0x5b, 0x48, 0x01, 0xdb, 0xc3);
	assert_int_equal(cpu->gpr[X86_RBX], 10);
	assert_int_equal(cpu->gpr[X86_RSP], STACK);
	tm_free(t);
}

static void
test_loop_jcc(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_long(t);
	/* mov ecx, 1000; xor eax, eax; l: add eax, ecx; loop l */
	RUN(t, 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x31, 0xc0,
	    0x01, 0xc8, 0xe2, 0xfc);
	assert_int_equal(cpu->gpr[X86_RAX], 500500);
	/* xor ecx,ecx; l: inc ecx; cmp ecx, 77; jne l (rel32) */
	RUN(t, 0x31, 0xc9, 0xff, 0xc1, 0x83, 0xf9, 0x4d,
	    0x0f, 0x85, 0xf5, 0xff, 0xff, 0xff);
	assert_int_equal(cpu->gpr[X86_RCX], 77);
	tm_free(t);
}

/*
 * F3 0F BC without BMI1 in CPUID (we offer none) is BSF, F3 ignored
 * (SDM Vol 2 TZCNT): a zero source sets ZF and leaves the destination,
 * where TZCNT would write the operand width and set CF.
 */
static void
test_tzcnt_is_bsf(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_long(t);
	/* mov rbx, 0x50; mov rax, 7; tzcnt rax, rbx */
	RUN(t, 0x48, 0xc7, 0xc3, 0x50, 0x00, 0x00, 0x00,
	    0x48, 0xc7, 0xc0, 0x07, 0x00, 0x00, 0x00,
	    0xf3, 0x48, 0x0f, 0xbc, 0xc3);
	assert_int_equal(cpu->gpr[X86_RAX], 4);
	assert_int_equal(x86_get_flags(cpu) & X86_ZF, 0);
	/* xor ebx, ebx; mov rax, 7; tzcnt rax, rbx */
	RUN(t, 0x31, 0xdb, 0x48, 0xc7, 0xc0, 0x07, 0x00, 0x00, 0x00,
	    0xf3, 0x48, 0x0f, 0xbc, 0xc3);
	assert_int_equal(cpu->gpr[X86_RAX], 7);
	assert_int_equal(x86_get_flags(cpu) & X86_ZF, X86_ZF);
	tm_free(t);
}

static void
test_memory_rip(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_long(t);
	/* mov rax, [rip+0x100]; add qword [rip+0x100-7], 1 ... */
	memset(t->ram + CODE + 0x100, 0, 16);
	t->ram[CODE + 7 + 0xf9] = 0x42;
	/* 48 8b 05 f9 00 00 00: mov rax, [rip + 0xf9] -> CODE+0x100 */
	/* 48 83 05 f1 00 00 00 01: add qword [rip+0xf1], 1 -> CODE+0x100 */
	RUN(t, 0x48, 0x8b, 0x05, 0xf9, 0x00, 0x00, 0x00,
	    0x48, 0x83, 0x05, 0xf1, 0x00, 0x00, 0x00, 0x01);
	assert_int_equal(cpu->gpr[X86_RAX], 0x42);
	assert_int_equal(t->ram[CODE + 0x100], 0x43);
	/* lock xadd [rbx], eax with rbx = DATA */
	*(uint32_t *)(t->ram + DATA) = 10;
	cpu->gpr[X86_RBX] = DATA;
	cpu->gpr[X86_RAX] = 5;
	RUN(t, 0xf0, 0x0f, 0xc1, 0x03);
	assert_int_equal(*(uint32_t *)(t->ram + DATA), 15);
	assert_int_equal(cpu->gpr[X86_RAX], 10);
	/* lock cmpxchg16b [rbx] */
	memset(t->ram + DATA, 0, 16);
	cpu->gpr[X86_RAX] = 0;
	cpu->gpr[X86_RDX] = 0;
	cpu->gpr[X86_RBX] = DATA;
	cpu->gpr[X86_RCX] = 7;
	RUN(t, 0xf0, 0x48, 0x0f, 0xc7, 0x0b);
	assert_int_equal(*(uint64_t *)(t->ram + DATA), DATA);
	assert_int_equal(*(uint64_t *)(t->ram + DATA + 8), 7);
	assert_true(x86_get_flags(cpu) & X86_ZF);
	tm_free(t);
}

static void
test_string(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;
	int i;

	tm_long(t);
	for (i = 0; i < 10000; i++)
		t->ram[DATA + i] = (uint8_t)i;
	/* mov rsi, DATA; mov rdi, DATA+0x10000; mov ecx, 10000; rep movsb */
	cpu->gpr[X86_RSI] = DATA;
	cpu->gpr[X86_RDI] = DATA + 0x10000;
	cpu->gpr[X86_RCX] = 10000;
	RUN(t, 0xf3, 0xa4);
	assert_memory_equal(t->ram + DATA, t->ram + DATA + 0x10000, 10000);
	assert_int_equal(cpu->gpr[X86_RCX], 0);
	assert_int_equal(cpu->gpr[X86_RSI], DATA + 10000);
	/* repne scasb for byte 0x37 from DATA */
	cpu->gpr[X86_RDI] = DATA;
	cpu->gpr[X86_RCX] = 1000;
	cpu->gpr[X86_RAX] = 0x37;
	RUN(t, 0xf2, 0xae);
	assert_int_equal(cpu->gpr[X86_RDI], DATA + 0x38);
	assert_int_equal(cpu->gpr[X86_RCX], 1000 - 0x38);
	/* std; rep stosd backwards; cld */
	cpu->gpr[X86_RDI] = DATA + 0x100;
	cpu->gpr[X86_RCX] = 4;
	cpu->gpr[X86_RAX] = 0xdeadbeef;
	RUN(t, 0xfd, 0xf3, 0xab, 0xfc);
	assert_int_equal(*(uint32_t *)(t->ram + DATA + 0xf4), 0xdeadbeef);
	assert_int_equal(cpu->gpr[X86_RDI], DATA + 0xf0);
	/* repe cmpsw, 32-bit addressing (67) */
	memcpy(t->ram + DATA + 0x2000, t->ram + DATA, 64);
	t->ram[DATA + 0x2000 + 20] ^= 1;
	cpu->gpr[X86_RSI] = DATA;
	cpu->gpr[X86_RDI] = DATA + 0x2000;
	cpu->gpr[X86_RCX] = 0xffffffff00000020ull;
	RUN(t, 0x67, 0x66, 0xf3, 0xa7);
	assert_int_equal(cpu->gpr[X86_RSI], DATA + 22);
	assert_int_equal(cpu->gpr[X86_RCX], 0x20 - 11);
	tm_free(t);
}

static void
test_smc(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_long(t);
	/* mov byte [rip+1], 0x05; mov al, 0x01  (patches the imm8) */
	RUN(t, 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x05, 0xb0, 0x01);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xff, 5);
	/* running it again: the patched copy sticks */
	RUN(t, 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x07, 0xb0, 0x01);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xff, 7);
	tm_free(t);
}

static void
test_real_mode(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_real(t);
	/*
	 * mov bx, 0x200; mov si, 4; mov word [bx+si+2], 0x1234;
	 * mov ax, [bx+si+2]; push ax; pop cx; mov eax, 0x12345678 (66);
	 * daa path: mov al, 0x19; add al, 0x28; daa
	 */
	RUN(t, 0xbb, 0x00, 0x02, 0xbe, 0x04, 0x00,
	    0xc7, 0x40, 0x02, 0x34, 0x12,
	    0x8b, 0x40, 0x02, 0x50, 0x59,
	    0x66, 0xba, 0x78, 0x56, 0x34, 0x12,
	    0xb0, 0x19, 0x04, 0x28, 0x27);
	assert_int_equal(cpu->gpr[X86_RCX] & 0xffff, 0x1234);
	assert_int_equal(*(uint16_t *)(t->ram + CODE + 0x206), 0x1234);
	assert_int_equal(cpu->gpr[X86_RDX], 0x12345678);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xff, 0x47);
	/* div by zero: IVT vector 0 -> handler at CODE+0x300: mov dx, 1 */
	*(uint16_t *)(t->ram + 0) = 0x300;
	*(uint16_t *)(t->ram + 2) = CODE >> 4;
	t->ram[CODE + 0x300] = 0xba;
	t->ram[CODE + 0x301] = 0x01;
	t->ram[CODE + 0x302] = 0x00;
	t->ram[CODE + 0x303] = 0xe6;
	t->ram[CODE + 0x304] = 0x99;
	memcpy(t->ram + CODE, (uint8_t[]){ 0x31, 0xc9, 0xf7, 0xf1 }, 4);
	x86_invalidate_code(&t->m, CODE, 0x1000);
	cpu->rip = 0;
	assert_int_equal(x86_run(cpu, &t->exit), 0);
	assert_int_equal(t->exit.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(cpu->rip, 0x303);
	assert_int_equal(cpu->gpr[X86_RDX] & 0xffff, 1);
	/* the pushed IP is the faulting DIV */
	assert_int_equal(*(uint16_t *)(t->ram + CODE +
	    (cpu->gpr[X86_RSP] & 0xffff)), 2);
	tm_free(t);
}

static void
test_prot32(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;

	tm_prot32(t);
	/*
	 * pusha; mov eax, 3; enter 8, 0; leave; popa;
	 * dec eax (48: DEC in 32-bit mode); inc ebx (43)
	 */
	cpu->gpr[X86_RAX] = 10;
	cpu->gpr[X86_RBX] = 20;
	RUN(t, 0x60, 0xb8, 0x03, 0x00, 0x00, 0x00, 0xc8, 0x08, 0x00, 0x00,
	    0xc9, 0x61, 0x48, 0x43);
	assert_int_equal(cpu->gpr[X86_RAX], 9);
	assert_int_equal(cpu->gpr[X86_RBX], 21);
	assert_int_equal(cpu->gpr[X86_RSP], STACK);
	/* aam 10 on 0x4f, then aad */
	cpu->gpr[X86_RAX] = 0x4f;
	RUN(t, 0xd4, 0x0a);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xffff, 0x0709);
	RUN(t, 0xd5, 0x0a);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xffff, 0x4f);
	tm_free(t);
}

static void
test_invalid(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;
	static const uint8_t bad[][17] = {
		"\x0f\x0b",			/* ud2 */
		"\xf0\x90",			/* lock nop */
		"\xf0\x01\xc0",		/* lock add reg */
		"\x06",			/* push es in 64-bit */
		"\x27",			/* daa in 64-bit */
		"\x8d\xc0",			/* lea reg */
		"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
		    "\x66\x66\x66\x66\x90",	/* 15 bytes: ok */
		"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
		    "\x66\x66\x66\x66\x66\x90",	/* 16: #GP */
	};
	static const int vec[] = { 6, 6, 6, 6, 6, 6, -1, 13 };
	size_t i;

	tm_long(t);
	/* IDT at 0x5000 pointing every vector at CODE+0x800: out 0x99 */
	for (i = 0; i < 32; i++) {
		uint64_t h = CODE + 0x800;
		uint8_t *g = t->ram + 0x5000 + i * 16;

		memset(g, 0, 16);
		g[0] = h & 0xff;
		g[1] = (h >> 8) & 0xff;
		g[2] = 8;
		g[5] = 0x8e;
		g[6] = (h >> 16) & 0xff;
		g[7] = (h >> 24) & 0xff;
	}
	cpu->idtr.base = 0x5000;
	cpu->idtr.limit = 32 * 16 - 1;
	t->ram[CODE + 0x800] = 0xe6;
	t->ram[CODE + 0x801] = 0x99;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(t->ram + CODE, bad[i], 16);
		/* after the valid 15-byte NOP comes the OUT */
		t->ram[CODE + 15 + (vec[i] >= 0)] = 0xe6;
		t->ram[CODE + 16 + (vec[i] >= 0)] = 0x99;
		x86_invalidate_code(&t->m, CODE, 0x1000);
		cpu->rip = CODE;
		cpu->gpr[X86_RSP] = STACK;
		assert_int_equal(x86_run(cpu, &t->exit), 0);
		assert_int_equal(t->exit.exitcode, VM_EXITCODE_INOUT);
		if (vec[i] < 0) {
			assert_int_equal(cpu->rip, CODE + 15);
			continue;
		}
		assert_int_equal(cpu->rip, CODE + 0x800);
		/* the return address on the stack is the faulting insn */
		assert_int_equal(*(uint64_t *)(t->ram + cpu->gpr[X86_RSP] +
		    (vec[i] == 13 ? 8 : 0)), CODE);
	}
	tm_free(t);
}

/*
 * Robustness: random bytes decoded in every code size and executed from
 * random state in each mode.  Anything may happen to the guest; the
 * process must survive (run under SANITIZE=1 too).
 */
static void
test_random_code(void **state)
{
	struct tmach *t = tm_new();
	struct x86_cpu *cpu = &t->cpu;
	struct x86_insn in;
	uint8_t buf[16];
	int i, j, r, mode;

	for (i = 0; i < 200000; i++) {
		for (j = 0; j < 16; j++)
			buf[j] = (uint8_t)rnd();
		r = x86_decode_test(buf, (unsigned)(rnd() % 17),
		    2u << (rnd() % 3), &in);
		assert_true(r != 0 || (in.len >= 1 && in.len <= 15 &&
		    in.fn != NULL));
	}
	for (i = 0; i < 3000; i++) {
		mode = i % 3;
		if (mode == 0)
			tm_long(t);
		else if (mode == 1)
			tm_prot32(t);
		else
			tm_real(t);
		for (j = 0; j < 4096; j++)
			t->ram[CODE + j] = (uint8_t)rnd();
		x86_invalidate_code(&t->m, CODE, 4096);
		for (j = 0; j < 16; j++)
			cpu->gpr[j] = (j == X86_RSP) ? STACK : rnd_val();
		cpu->rip = mode == 2 ? (rnd() & 0xfff) : CODE + (rnd() & 0xfff);
		x86_set_flags(cpu, rnd() & 0xcd5);
		cpu->run_budget = 200;
		cpu->halted = 0;
		for (j = 0; j < 4; j++) {
			if (x86_run(cpu, &t->exit) != 0)
				break;
			if (t->exit.exitcode == VM_EXITCODE_SUSPENDED)
				break;
			cpu->halted = 0;
		}
	}
	cpu->run_budget = 0;
	tm_free(t);
}

/*
 * Speed of the core on an integer/memory/branch loop; prints guest MIPS.
 * Runs only with CPU_CORE_BENCH set in the environment.
 */
static void
test_bench(void **state)
{
	struct tmach *t;
	struct x86_cpu *cpu;
	struct timespec a, b;
	double s;

	if (getenv("CPU_CORE_BENCH") == NULL)
		skip();
	t = tm_new();
	cpu = &t->cpu;
	tm_long(t);
	/*
	 * mov ecx, 50M; l: add rax, rcx; xor rbx, rax; mov [rsp-8], rbx;
	 * mov rdx, [rsp-8]; lea rsi, [rdx+rax*2]; cmp rsi, rdi; jb n; n:
	 * dec ecx; jnz l
	 */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	RUN(t, 0xb9, 0x80, 0xf0, 0xfa, 0x02,
	    0x48, 0x01, 0xc8, 0x48, 0x31, 0xc3, 0x48, 0x89, 0x5c, 0x24, 0xf8,
	    0x48, 0x8b, 0x54, 0x24, 0xf8, 0x48, 0x8d, 0x34, 0x42,
	    0x48, 0x39, 0xfe, 0x72, 0x00, 0xff, 0xc9, 0x75, 0xe3);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%ju instructions in %.3f s: %.1f MIPS\n",
	    (uintmax_t)cpu->icount, s, cpu->icount / s / 1e6);
	tm_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_regs),
		cmocka_unit_test(test_diff_mem),
		cmocka_unit_test(test_stack_call),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_loop_jcc),
		cmocka_unit_test(test_tzcnt_is_bsf),
		cmocka_unit_test(test_memory_rip),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_smc),
		cmocka_unit_test(test_real_mode),
		cmocka_unit_test(test_prot32),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_random_code),
		cmocka_unit_test(test_bench),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
