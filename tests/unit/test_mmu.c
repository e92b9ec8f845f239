/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software CPU's MMU (vmm/x86/mmu.c): page walks in every paging
 * mode with exact #PF error codes and CR2, A/D bits, the soft TLB and its
 * flushes, split accesses, MMIO with replay, self-modifying-code
 * generations, segment checks and the I/O permission bitmap.  A fake bus
 * with malloc'd RAM stands in for the engine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/mmu.h"

#define RAM_SIZE	(32u << 20)
#define MMIO_BASE	0xfee00000ull	/* not RAM */

#define P	0x001ull
#define RW	0x002ull
#define US	0x004ull
#define A	0x020ull
#define D	0x040ull
#define PS	0x080ull
#define G	0x100ull
#define NX	(1ull << 63)

struct fake {
	uint8_t		*ram;
	int		mmio_rc;
	unsigned	mmio_calls;
	uint64_t	mmio_gpa;
	uint64_t	mmio_val;
	bool		mmio_write;
	int		pio_rc;
	unsigned	pio_calls;
	struct vm_exit	exit;
	struct x86_machine mach;
	_Atomic uint32_t gen[RAM_SIZE >> 12];
	_Atomic uint8_t	mark[RAM_SIZE >> 12];
};

static uint8_t *
f_ram_page(void *ctx, uint64_t gpa, bool write)
{
	struct fake *f = ctx;

	(void)write;
	if (gpa >= RAM_SIZE)
		return (NULL);
	return (f->ram + (gpa & ~0xfffull));
}

static int
f_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	struct fake *f = ctx;

	(void)vcpu;
	(void)size;
	f->mmio_calls++;
	f->mmio_gpa = gpa;
	f->mmio_write = write;
	if (write)
		f->mmio_val = *val;
	else
		*val = f->mmio_val;
	return (f->mmio_rc);
}

static int
f_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	struct fake *f = ctx;

	(void)vcpu;
	(void)port;
	(void)size;
	f->pio_calls++;
	if (in)
		*val = 0x5a;
	return (f->pio_rc);
}

static const struct x86_bus fake_bus = {
	.ram_page = f_ram_page,
	.mmio = f_mmio,
	.pio = f_pio,
};

struct ctx {
	struct x86_cpu	*cpu;
	struct fake	*f;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct x86_cpu *cpu;
	struct fake *f;

	cpu = aligned_alloc(64, sizeof(*cpu));
	memset(cpu, 0, sizeof(*cpu));
	f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	f->mach.npages = RAM_SIZE >> 12;
	f->mach.code_gen = f->gen;
	f->mach.code_mark = f->mark;
	cpu->bus = &fake_bus;
	cpu->bus_ctx = f;
	cpu->mach = &f->mach;
	cpu->exit = &f->exit;
	cpu->rflags = 2;
	/* Flat 32-bit protected mode, CPL 0. */
	for (int i = 0; i < X86_NSEG; i++) {
		cpu->seg[i].limit = 0xffffffff;
		cpu->seg[i].access = 0xc093;
	}
	cpu->seg[X86_CS].access = 0xc09b;
	cpu->seg[X86_TR].access = 0x8b;
	cpu->seg[X86_LDTR].access = X86_AR_UNUSABLE;
	cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	assert_int_equal(x86_mmu_init(cpu), 0);
	x86_update_mode(cpu);
	c->cpu = cpu;
	c->f = f;
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	x86_mmu_fini(c->cpu);
	free(c->f->ram);
	free(c->f);
	free(c->cpu);
	free(c);
	return (0);
}

static void
w32(struct fake *f, uint64_t gpa, uint32_t v)
{
	memcpy(f->ram + gpa, &v, 4);
}

static void
w64(struct fake *f, uint64_t gpa, uint64_t v)
{
	memcpy(f->ram + gpa, &v, 8);
}

static uint64_t
r64(struct fake *f, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, f->ram + gpa, 8);
	return (v);
}

static void
paging(struct x86_cpu *cpu, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	cpu->cr3 = cr3;
	cpu->cr4 = cr4;
	cpu->efer = efer;
	if (efer & X86_EFER_LME)
		cpu->efer |= X86_EFER_LMA;
	cpu->cr0 |= X86_CR0_PG;
	x86_update_mode(cpu);
}

#define expect_pf(cpu, rc, la, err) \
	expect_pf_((cpu), (rc), (la), (err), __LINE__)

static void
expect_pf_(struct x86_cpu *cpu, int rc, uint64_t la, uint32_t err, int line)
{
	_assert_int_equal(rc, X86_FAULT, __FILE__, line);
	assert_true(cpu->exc.valid);
	assert_int_equal(cpu->exc.vector, IDT_PF);
	assert_true(cpu->exc.has_err);
	assert_int_equal(cpu->exc.err, err);
	assert_int_equal(cpu->cr2, la);
	cpu->exc.valid = 0;
}

/* ---- 32-bit paging ---- */

/* PD at 0x1000, PT at 0x2000: la 0x400000 -> 0x5000. */
static void
map32(struct fake *f, uint32_t pte_bits)
{
	w32(f, 0x1000 + 1 * 4, 0x2000 | P | RW | US);
	w32(f, 0x2000, 0x5000 | pte_bits);
}

static void
test_walk32_basic(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0, pde, pte;

	map32(c->f, P | RW | US);
	w32(c->f, 0x5010, 0xdeadbeef);
	paging(cpu, 0x1000, 0, 0);
	assert_int_equal(cpu->paging, PAGING_MODE_32);
	assert_int_equal(x86_lread(cpu, 0x400010, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0xdeadbeef);
	memcpy(&pde, c->f->ram + 0x1004, 4);
	memcpy(&pte, c->f->ram + 0x2000, 4);
	assert_true(pde & A);
	assert_true(pte & A);
	assert_false(pte & D);
	v = 0x11223344;
	assert_int_equal(x86_lwrite(cpu, 0x400020, 4, &v, 0), X86_OK);
	memcpy(&pte, c->f->ram + 0x2000, 4);
	assert_true(pte & D);
	memcpy(&v, c->f->ram + 0x5020, 4);
	assert_int_equal(v, 0x11223344);
}

static void
test_walk32_faults(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	map32(c->f, P | US);			/* read-only user page */
	paging(cpu, 0x1000, 0, 0);
	/* Not present PDE: supervisor read, error 0. */
	expect_pf(cpu, x86_lread(cpu, 0x800000, 4, &v, 0), 0x800000, 0);
	/* Supervisor write to a read-only page: allowed while WP = 0. */
	assert_int_equal(x86_lwrite(cpu, 0x400000, 4, &v, 0), X86_OK);
	/* With WP: P | W. */
	cpu->cr0 |= X86_CR0_WP;
	x86_update_mode(cpu);
	expect_pf(cpu, x86_lwrite(cpu, 0x400004, 4, &v, 0), 0x400004, 0x3);
	/* User write: P | W | U. */
	cpu->seg[X86_SS].access |= 3 << 5;
	x86_update_mode(cpu);
	assert_int_equal(cpu->cpl, 3);
	expect_pf(cpu, x86_lwrite(cpu, 0x400008, 4, &v, 0), 0x400008, 0x7);
	/* User read of a supervisor page: P | U. */
	w32(c->f, 0x2004, 0x6000 | P | RW);
	expect_pf(cpu, x86_lread(cpu, 0x401000, 4, &v, 0), 0x401000, 0x5);
	/* Implicit supervisor access (X86_ACC_SUPER) from CPL 3: fine. */
	assert_int_equal(x86_lread(cpu, 0x401000, 4, &v, X86_ACC_SUPER),
	    X86_OK);
	/* User read of a not-present PTE: U only. */
	expect_pf(cpu, x86_lread(cpu, 0x402000, 4, &v, 0), 0x402000, 0x4);
}

static void
test_walk32_pse(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	/* 4 MiB page at la 0x800000 -> 0xc00000. */
	w32(c->f, 0x1000 + 2 * 4, 0xc00000 | PS | P | RW);
	w32(c->f, 0xc12344, 0xcafef00d);
	paging(cpu, 0x1000, X86_CR4_PSE, 0);
	assert_int_equal(x86_lread(cpu, 0x812344, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0xcafef00d);
	/* Bit 21 is reserved in a 4 MiB PDE: RSVD | P. */
	w32(c->f, 0x1000 + 3 * 4, 0xc00000 | (1u << 21) | PS | P | RW);
	expect_pf(cpu, x86_lread(cpu, 0xc00000, 4, &v, 0), 0xc00000, 0x9);
	/* Without CR4.PSE the PS bit is ignored: the PDE is a table. */
	w32(c->f, 0x1000 + 4 * 4, 0x2000 | PS | P | RW);
	w32(c->f, 0x2000, 0x5000 | P | RW);
	w32(c->f, 0x5000, 0x12345678);
	cpu->cr4 = 0;
	x86_update_mode(cpu);
	assert_int_equal(x86_lread(cpu, 0x1000000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0x12345678);
}

/* ---- PAE ---- */

/* PDPT 0x3000, PD 0x4000, PT 0x6000: la 0x40000000+0x201000 -> 0x7000. */
static void
mappae(struct fake *f, uint64_t pte_bits)
{
	w64(f, 0x3000 + 1 * 8, 0x4000 | P);
	w64(f, 0x4000 + 1 * 8, 0x6000 | P | RW | US);
	w64(f, 0x6000 + 1 * 8, 0x7000 | pte_bits);
}

static void
test_walk_pae(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	const uint8_t *hp;
	uint64_t gpa, la = 0x40201000;
	uint32_t v = 0;

	mappae(c->f, P | RW | NX);
	w32(c->f, 0x7008, 0xabcdef01);
	paging(cpu, 0x3000, X86_CR4_PAE, X86_EFER_NXE);
	assert_int_equal(cpu->paging, PAGING_MODE_PAE);
	assert_int_equal(x86_mmu_load_pdptes(cpu, 0x3000), X86_OK);
	assert_int_equal(x86_lread(cpu, la + 8, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0xabcdef01);
	/* Fetch from an NX page: P | I/D. */
	expect_pf(cpu, x86_code_page(cpu, la, &hp, &gpa), la, 0x11);
	/* NX without EFER.NXE is a reserved bit: RSVD | P (| I/D: no). */
	cpu->efer = 0;
	x86_update_mode(cpu);
	expect_pf(cpu, x86_lread(cpu, la, 4, &v, 0), la, 0x9);
	/* Executable page. */
	w64(c->f, 0x6000 + 8, 0x7000 | P | RW);
	x86_tlb_flush(cpu, true);
	assert_int_equal(x86_code_page(cpu, la, &hp, &gpa), X86_OK);
	assert_int_equal(gpa, 0x7000);
	assert_ptr_equal(hp, c->f->ram + 0x7000);
	/* Not-present PDPTE. */
	expect_pf(cpu, x86_lread(cpu, 0x80000000, 4, &v, 0), 0x80000000, 0);
	/* PDPTE reserved bits: MOV CR3 would #GP(0). */
	w64(c->f, 0x3000 + 2 * 8, 0x4000 | P | RW);
	assert_int_equal(x86_mmu_load_pdptes(cpu, 0x3000), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_GP);
	assert_int_equal(cpu->exc.err, 0);
}

static void
test_walk_pae_2m(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	w64(c->f, 0x3000, 0x4000 | P);
	w64(c->f, 0x4000 + 8 * 3, 0x400000 | PS | P | RW);
	w32(c->f, 0x400000 + 0x12340, 0x600dcafe);
	paging(cpu, 0x3000, X86_CR4_PAE, 0);
	assert_int_equal(x86_lread(cpu, 0x600000 + 0x12340, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0x600dcafe);
	/* Bits 20:13 reserved in a 2 MiB PDE. */
	w64(c->f, 0x4000 + 8 * 4, 0x400000 | (1u << 13) | PS | P | RW);
	expect_pf(cpu, x86_lread(cpu, 0x800000, 4, &v, 0), 0x800000, 0x9);
}

/* ---- 4-level ---- */

/* PML4 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000. */
static void
map64(struct fake *f)
{
	w64(f, 0x10000 + 0 * 8, 0x11000 | P | RW | US);
	w64(f, 0x10000 + 511 * 8, 0x11000 | P | RW);	/* kernel half */
	w64(f, 0x11000 + 0 * 8, 0x12000 | P | RW | US);
	w64(f, 0x11000 + 1 * 8, 0x0 | PS | P | RW | US);	/* 1 GiB at 0 */
	w64(f, 0x12000 + 1 * 8, 0x200000 | PS | P | RW | US); /* 2M */
	w64(f, 0x12000 + 0 * 8, 0x13000 | P | RW | US);
	w64(f, 0x13000 + 5 * 8, 0x8000 | P | RW | US);	/* 4K */
}

static void
longmode(struct x86_cpu *cpu)
{
	cpu->seg[X86_CS].access = 0xa09b;
	paging(cpu, 0x10000, X86_CR4_PAE, X86_EFER_LME | X86_EFER_NXE);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	assert_int_equal(cpu->paging, PAGING_MODE_64);
}

static void
test_walk64(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint64_t v = 0, e;

	map64(c->f);
	longmode(cpu);
	w64(c->f, 0x8018, 0x1111222233334444ull);
	assert_int_equal(x86_lread(cpu, 0x5018, 8, &v, 0), X86_OK);
	assert_int_equal(v, 0x1111222233334444ull);
	/* 2 MiB page. */
	w64(c->f, 0x200000 + 0x1230, 0x55);
	assert_int_equal(x86_lread(cpu, 0x201230, 8, &v, 0), X86_OK);
	assert_int_equal(v, 0x55);
	/* 1 GiB page maps la 1G+x to x. */
	w64(c->f, 0x123458, 0x77);
	assert_int_equal(x86_lread(cpu, 0x40123458, 8, &v, 0), X86_OK);
	assert_int_equal(v, 0x77);
	/* Kernel half: PML4E 511 without US. */
	assert_int_equal(x86_lread(cpu, 0xffffff8000005018ull, 8, &v, 0),
	    X86_OK);
	assert_int_equal(v, 0x1111222233334444ull);
	/* A/D on every level used by a write. */
	assert_int_equal(x86_lwrite(cpu, 0x5000, 8, &v, 0), X86_OK);
	e = r64(c->f, 0x13000 + 5 * 8);
	assert_true((e & (A | D)) == (A | D));
	assert_true(r64(c->f, 0x12000) & A);
	assert_false(r64(c->f, 0x12000) & D);
	/* User access to the kernel half: P | U. */
	cpu->seg[X86_SS].access |= 3 << 5;
	x86_update_mode(cpu);
	expect_pf(cpu, x86_lread(cpu, 0xffffff8000005000ull, 8, &v, 0),
	    0xffffff8000005000ull, 0x5);
	/* Reserved physical-address bit (>= MAXPHYADDR): RSVD|P|U. */
	w64(c->f, 0x13000 + 6 * 8, (1ull << 45) | 0x9000 | P | RW | US);
	expect_pf(cpu, x86_lread(cpu, 0x6000, 8, &v, 0), 0x6000, 0xd);
	/* PS in a PML4E is reserved. */
	w64(c->f, 0x10000 + 1 * 8, 0x11000 | PS | P | RW | US);
	expect_pf(cpu, x86_lread(cpu, 0x8000000000ull, 8, &v, 0),
	    0x8000000000ull, 0xd);
	/* Instruction fetch from user NX page by user: P | U | I. */
	w64(c->f, 0x13000 + 7 * 8, 0x9000 | P | RW | US | NX);
	{
		const uint8_t *hp;
		uint64_t gpa;

		expect_pf(cpu, x86_code_page(cpu, 0x7000, &hp, &gpa), 0x7000,
		    0x15);
	}
}

static void
test_smep_smap(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	const uint8_t *hp;
	uint64_t v = 0, gpa;

	map64(c->f);
	cpu->seg[X86_CS].access = 0xa09b;
	paging(cpu, 0x10000, X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP,
	    X86_EFER_LME);
	/* SMEP: supervisor fetch from a user page: P | I. */
	expect_pf(cpu, x86_code_page(cpu, 0x5000, &hp, &gpa), 0x5000, 0x11);
	/* SMAP: supervisor data access to a user page with AC = 0. */
	expect_pf(cpu, x86_lread(cpu, 0x5000, 8, &v, 0), 0x5000, 0x1);
	cpu->rflags |= X86_AC;
	assert_int_equal(x86_lread(cpu, 0x5000, 8, &v, 0), X86_OK);
	/* Not cached: clearing AC faults again at once. */
	cpu->rflags &= ~(uint64_t)X86_AC;
	expect_pf(cpu, x86_lread(cpu, 0x5000, 8, &v, 0), 0x5000, 0x1);
	/* Kernel page is fine. */
	assert_int_equal(x86_lread(cpu, 0xffffff8000005000ull, 8, &v, 0),
	    X86_OK);
}

/* ---- TLB ---- */

static void
test_tlb_flushes(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	map32(c->f, P | RW);
	w32(c->f, 0x5000, 1);
	w32(c->f, 0x9000, 2);
	paging(cpu, 0x1000, 0, 0);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 1);
	/* Change the PTE: the TLB still holds the old translation... */
	w32(c->f, 0x2000, 0x9000 | P | RW);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 1);
	/* ...until INVLPG. */
	x86_tlb_flush_page(cpu, 0x400abc);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 2);
	/* CR3 reload drops it too. */
	w32(c->f, 0x2000, 0x5000 | P | RW);
	cpu->cr3 = 0x1000 | 0x8;	/* PWT: same tables, new value */
	x86_mmu_sync(cpu);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 1);
}

static void
test_tlb_global(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	map32(c->f, P | RW | G);
	w32(c->f, 0x5000, 1);
	w32(c->f, 0x9000, 2);
	paging(cpu, 0x1000, X86_CR4_PGE, 0);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	w32(c->f, 0x2000, 0x9000 | P | RW | G);
	/* MOV CR3 keeps global entries. */
	x86_tlb_flush(cpu, false);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 1);
	/* Toggling CR4.PGE drops everything. */
	cpu->cr4 = 0;
	x86_update_mode(cpu);
	assert_int_equal(x86_lread(cpu, 0x400000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 2);
}

static void
test_tlb_invlpg_large(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	/* 4 MiB page la 0x800000 -> 0xc00000, two 4K pieces cached. */
	w32(c->f, 0x1000 + 2 * 4, 0xc00000 | PS | P | RW);
	w32(c->f, 0xc00000, 1);
	w32(c->f, 0xc05000, 2);
	w32(c->f, 0x400000, 3);
	w32(c->f, 0x405000, 4);
	paging(cpu, 0x1000, X86_CR4_PSE, 0);
	assert_int_equal(x86_lread(cpu, 0x800000, 4, &v, 0), X86_OK);
	assert_int_equal(x86_lread(cpu, 0x805000, 4, &v, 0), X86_OK);
	w32(c->f, 0x1000 + 2 * 4, 0x400000 | PS | P | RW);
	/* INVLPG of one address drops the whole large page. */
	x86_tlb_flush_page(cpu, 0x800000);
	assert_int_equal(x86_lread(cpu, 0x805000, 4, &v, 0), X86_OK);
	assert_int_equal(v, 4);
}

static void
test_split_write_faults_cleanly(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint64_t v = 0x1122334455667788ull;
	uint32_t old;

	map32(c->f, P | RW);		/* 0x400000 present, 0x401000 not */
	w32(c->f, 0x5ffc, 0xaaaaaaaa);
	paging(cpu, 0x1000, 0, 0);
	expect_pf(cpu, x86_lwrite(cpu, 0x400ffc, 8, &v, 0), 0x401000, 0x2);
	memcpy(&old, c->f->ram + 0x5ffc, 4);
	assert_int_equal(old, 0xaaaaaaaa);
	/* Present second page: the bytes land on both pages. */
	w32(c->f, 0x2004, 0x9000 | P | RW);
	assert_int_equal(x86_lwrite(cpu, 0x400ffc, 8, &v, 0), X86_OK);
	memcpy(&old, c->f->ram + 0x5ffc, 4);
	assert_int_equal(old, 0x55667788);
	memcpy(&old, c->f->ram + 0x9000, 4);
	assert_int_equal(old, 0x11223344);
}

static void
test_rmw_write_intent(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;
	void *hp;

	map32(c->f, P | RW);		/* 0x400000 present, 0x401000 not */
	w32(c->f, 0x2004, 0x9000 | P);	/* 0x401000 read-only */
	cpu->cr0 |= X86_CR0_WP;
	paging(cpu, 0x1000, 0, 0);
	/* The read of a read-modify-write faults as a write: P | W. */
	assert_int_equal(x86_lread(cpu, 0x401000, 4, &v, 0), X86_OK);
	expect_pf(cpu, x86_vread_w(cpu, X86_DS, 0x401000, 4, &v), 0x401000,
	    0x3);
	/* A split in-place operand is probed on both pages for write. */
	expect_pf(cpu, x86_vptr(cpu, X86_DS, 0x400ffe, 4,
	    X86_ACC_R | X86_ACC_W, &hp), 0x401000, 0x3);
	assert_null(hp);
	w32(c->f, 0x2004, 0x9000 | P | RW);
	x86_tlb_flush_page(cpu, 0x401000);
	assert_int_equal(x86_vptr(cpu, X86_DS, 0x400ffe, 4,
	    X86_ACC_R | X86_ACC_W, &hp), X86_OK);
	assert_null(hp);
	/* Read with write intent sets D. */
	assert_int_equal(x86_vread_w(cpu, X86_DS, 0x401000, 4, &v), X86_OK);
	assert_true(c->f->ram[0x2004] & D);
}

/* ---- MMIO, replay, code pages ---- */

static void
test_mmio_replay(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	/* In-engine device. */
	c->f->mmio_val = 0x1234;
	assert_int_equal(x86_lread(cpu, MMIO_BASE + 0x20, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0x1234);
	assert_int_equal(c->f->mmio_gpa, MMIO_BASE + 0x20);
	/* Userland device: the read exits and is logged. */
	cpu->replay.n = 0;
	cpu->replay.pos = 0;
	cpu->icount++;
	c->f->mmio_rc = X86_EXIT;
	c->f->mmio_calls = 0;
	assert_int_equal(x86_lread(cpu, MMIO_BASE + 0x30, 4, &v, 0), X86_EXIT);
	assert_int_equal(c->f->exit.exitcode, VM_EXITCODE_MMIO);
	assert_int_equal(c->f->exit.u.mmio.gpa, MMIO_BASE + 0x30);
	assert_int_equal(c->f->exit.u.mmio.bytes, 4);
	assert_int_equal(c->f->exit.u.mmio.read, 1);
	assert_int_equal(cpu->replay.n, 1);
	/* Userland completes it; the re-executed read takes the log. */
	x86_complete_read(cpu, 0xfeed);
	cpu->replay.pos = 0;
	assert_int_equal(x86_lread(cpu, MMIO_BASE + 0x30, 4, &v, 0), X86_OK);
	assert_int_equal(v, 0xfeed);
	assert_int_equal(c->f->mmio_calls, 1);
	/* A write that exits is not repeated on replay. */
	cpu->replay.n = 0;
	cpu->replay.pos = 0;
	v = 0x99;
	assert_int_equal(x86_lwrite(cpu, MMIO_BASE + 0x40, 4, &v, 0),
	    X86_EXIT);
	assert_int_equal(c->f->exit.u.mmio.read, 0);
	assert_int_equal(c->f->exit.u.mmio.data, 0x99);
	cpu->replay.pos = 0;
	assert_int_equal(x86_lwrite(cpu, MMIO_BASE + 0x40, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->mmio_calls, 2);
	/* A log left by a retired instruction is not replayed. */
	cpu->icount++;
	c->f->mmio_rc = X86_OK;
	assert_int_equal(x86_lwrite(cpu, MMIO_BASE + 0x40, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->mmio_calls, 3);
}

static void
test_code_page_generation(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 1;

	/* Write entry installed before the page holds code... */
	assert_int_equal(x86_lwrite(cpu, 0x7000, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->gen[7], 0);
	/* ...then the page gets decoded code: the entry must go. */
	x86_mark_code_page(cpu, 0x7000);
	assert_int_equal(x86_lwrite(cpu, 0x7004, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->gen[7], 1);
	assert_int_equal(x86_lwrite(cpu, 0x7008, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->gen[7], 2);
	/* Other pages are unaffected. */
	assert_int_equal(x86_lwrite(cpu, 0x8000, 4, &v, 0), X86_OK);
	assert_int_equal(c->f->gen[8], 0);
	/* In-place (LOCK) access to a code page bumps too. */
	{
		void *hp;

		assert_int_equal(x86_vptr(cpu, X86_DS, 0x700c, 4,
		    X86_ACC_R | X86_ACC_W, &hp), X86_OK);
		assert_ptr_equal(hp, c->f->ram + 0x700c);
		assert_int_equal(c->f->gen[7], 3);
		/* Split: no pointer. */
		assert_int_equal(x86_vptr(cpu, X86_DS, 0x8ffe, 4,
		    X86_ACC_R | X86_ACC_W, &hp), X86_OK);
		assert_null(hp);
	}
}

/* ---- Segmentation ---- */

#define expect_exc(cpu, rc, vec, err) \
	expect_exc_((cpu), (rc), (vec), (err), __LINE__)

static void
expect_exc_(struct x86_cpu *cpu, int rc, int vec, uint32_t err, int line)
{
	_assert_int_equal(rc, X86_FAULT, __FILE__, line);
	assert_int_equal(cpu->exc.vector, vec);
	assert_int_equal(cpu->exc.err, err);
	cpu->exc.valid = 0;
}

static void
test_seg_checks(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;

	/* Limit. */
	cpu->seg[X86_ES].limit = 0xfff;
	assert_int_equal(x86_vread(cpu, X86_ES, 0xffc, 4, &v), X86_OK);
	expect_exc(cpu, x86_vread(cpu, X86_ES, 0xffd, 4, &v), IDT_GP, 0);
	cpu->seg[X86_SS].limit = 0xfff;
	expect_exc(cpu, x86_vread(cpu, X86_SS, 0x1000, 1, &v), IDT_SS, 0);
	/* Expand-down, 32-bit: valid offsets are limit+1 .. 4G-1. */
	cpu->seg[X86_FS].access = 0xc097;
	cpu->seg[X86_FS].limit = 0xfff;
	expect_exc(cpu, x86_vread(cpu, X86_FS, 0xffe, 4, &v), IDT_GP, 0);
	assert_int_equal(x86_vread(cpu, X86_FS, 0x1000, 4, &v), X86_OK);
	/* Read-only data refuses writes; execute-only code reads. */
	cpu->seg[X86_GS].access = 0xc091;
	expect_exc(cpu, x86_vwrite(cpu, X86_GS, 0, 4, &v), IDT_GP, 0);
	cpu->seg[X86_GS].access = 0xc099;
	expect_exc(cpu, x86_vread(cpu, X86_GS, 0, 4, &v), IDT_GP, 0);
	/* Null selector loaded: unusable. */
	cpu->seg[X86_GS].access = X86_AR_UNUSABLE;
	expect_exc(cpu, x86_vread(cpu, X86_GS, 0, 4, &v), IDT_GP, 0);
	/* Base applies, wraps at 4 GiB. */
	cpu->seg[X86_DS].base = 0x1000;
	w32(c->f, 0x1010, 0x42);
	assert_int_equal(x86_vread(cpu, X86_DS, 0x10, 4, &v), X86_OK);
	assert_int_equal(v, 0x42);
}

static void
test_seg_checks64(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint64_t v = 0;

	map64(c->f);
	longmode(cpu);
	cpu->seg[X86_DS].base = 0x123000;	/* ignored in 64-bit mode */
	cpu->seg[X86_DS].access = X86_AR_UNUSABLE;	/* null: usable */
	w64(c->f, 0x8000, 0x99);
	assert_int_equal(x86_vread(cpu, X86_DS, 0x5000, 8, &v), X86_OK);
	assert_int_equal(v, 0x99);
	cpu->seg[X86_FS].base = 0x5000;
	assert_int_equal(x86_vread(cpu, X86_FS, 0, 8, &v), X86_OK);
	assert_int_equal(v, 0x99);
	expect_exc(cpu, x86_vread(cpu, X86_DS, 0x0000800000000000ull, 8, &v),
	    IDT_GP, 0);
	expect_exc(cpu, x86_vread(cpu, X86_SS, 0x00007ffffffffffcull, 8, &v),
	    IDT_SS, 0);
}

/* ---- Port I/O ---- */

static void
test_io_bitmap(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t v = 0;
	uint16_t base = 0x68;

	/* TSS at 0x20000 with a bitmap at +0x68 covering ports 0-0x3ff. */
	cpu->seg[X86_TR].base = 0x20000;
	cpu->seg[X86_TR].limit = 0x68 + 0x80;
	memcpy(c->f->ram + 0x20066, &base, 2);
	memset(c->f->ram + 0x20068, 0xff, 0x81);
	c->f->ram[0x20068 + 0x80 / 8] = (uint8_t)~1;	/* 0x80 allowed */
	cpu->seg[X86_SS].access |= 3 << 5;
	x86_update_mode(cpu);
	assert_int_equal(x86_io(cpu, 0x80, 1, true, &v), X86_OK);
	assert_int_equal(v, 0x5a);
	expect_exc(cpu, x86_io(cpu, 0x81, 1, true, &v), IDT_GP, 0);
	expect_exc(cpu, x86_io(cpu, 0x80, 2, false, &v), IDT_GP, 0);
	/* Beyond the TSS limit. */
	expect_exc(cpu, x86_io(cpu, 0x500, 1, true, &v), IDT_GP, 0);
	/* IOPL 3 skips the bitmap. */
	cpu->rflags |= X86_IOPL;
	assert_int_equal(x86_io(cpu, 0x81, 1, true, &v), X86_OK);
	/* Exits fill INOUT. */
	c->f->pio_rc = X86_EXIT;
	cpu->icount++;
	v = 0x41;
	assert_int_equal(x86_io(cpu, 0x3f8, 1, false, &v), X86_EXIT);
	assert_int_equal(c->f->exit.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(c->f->exit.u.inout.port, 0x3f8);
	assert_int_equal(c->f->exit.u.inout.eax, 0x41);
	assert_int_equal(c->f->exit.u.inout.in, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk32_basic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk32_faults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk32_pse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk_pae, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk_pae_2m, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smep_smap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tlb_flushes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tlb_global, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tlb_invlpg_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_split_write_faults_cleanly,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rmw_write_intent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mmio_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_code_page_generation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seg_checks64, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_io_bitmap, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
