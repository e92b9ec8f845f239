/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared unit-test fixture: an x86_machine + x86_cpu on a fake bus.  RAM
 * is a malloc'd buffer of RAM_SIZE bytes, MMIO reads all ones, port 0x99
 * ends a test program with an INOUT exit, other IN ports read 0x40 + port
 * and the last OUT is recorded.  tm_long_ex() puts the CPU in 64-bit mode,
 * identity mapped with 2 MiB pages over the first 1 GiB.
 */
#ifndef _TESTS_FAKE_CPU_H_
#define _TESTS_FAKE_CPU_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vmm/x86/cpu.h"

#define RAM_SIZE	(4u << 20)
#define CODE		0x10000u
#define STACK		0x80000u
#define DATA		0x40000u

struct tmach {
	uint8_t			*ram;
	struct x86_machine	m;
	struct x86_cpu		cpu;
	struct vm_exit		exit;
	uint32_t		last_out;
	uint16_t		last_port;
};

static inline uint8_t *
tm_ram_page(void *ctx, uint64_t gpa, bool write)
{
	struct tmach *t = ctx;

	if (gpa >= RAM_SIZE)
		return (NULL);
	return (t->ram + (gpa & ~4095ull));
}

static inline int
tm_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	if (!write)
		*val = ~0ull;
	return (X86_OK);
}

static inline int
tm_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	struct tmach *t = ctx;

	if (port == 0x99)
		return (X86_EXIT);
	if (in) {
		*val = 0x40 + port;
	} else {
		t->last_out = *val;
		t->last_port = port;
	}
	return (X86_OK);
}

static inline int
tm_intr_pending(void *ctx, int vcpu)
{
	return (-1);
}

static const struct x86_bus tm_bus = {
	.ram_page = tm_ram_page,
	.mmio = tm_mmio,
	.pio = tm_pio,
	.intr_pending = tm_intr_pending,
};

static inline struct tmach *
tm_new(void)
{
	struct tmach *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->ram = calloc(1, RAM_SIZE);
	assert_non_null(t->ram);
	assert_int_equal(x86_machine_init(&t->m, RAM_SIZE), 0);
	assert_int_equal(x86_cpu_init(&t->cpu, &t->m, &tm_bus, t, 0), 0);
	return (t);
}

static inline void
tm_free(struct tmach *t)
{
	x86_cpu_fini(&t->cpu);
	x86_machine_fini(&t->m);
	free(t->ram);
	free(t);
}

static inline void
seg_flat(struct x86_seg *s, uint16_t sel, uint32_t access)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->access = access;
}

/*
 * 64-bit mode, identity mapped with 2 MiB pages over the first 1 GiB;
 * `cr0` and `cr4` are set on top of PE|PG|ET and PAE.
 */
static inline void
tm_long_ex(struct tmach *t, uint64_t cr0, uint64_t cr4)
{
	struct x86_cpu *cpu = &t->cpu;
	uint64_t *pml4 = (uint64_t *)(t->ram + 0x1000);
	uint64_t *pdpt = (uint64_t *)(t->ram + 0x2000);
	uint64_t *pd = (uint64_t *)(t->ram + 0x3000);
	int i;

	pml4[0] = 0x2000 | 3;
	pdpt[0] = 0x3000 | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	*(uint64_t *)(t->ram + 0x6008) = 0x00af9b000000ffffull;
	*(uint64_t *)(t->ram + 0x6010) = 0x00cf93000000ffffull;
	cpu->gdtr.base = 0x6000;
	cpu->gdtr.limit = 0x17;
	cpu->cr3 = 0x1000;
	cpu->cr4 = X86_CR4_PAE | cr4;
	cpu->efer = X86_EFER_LME | X86_EFER_LMA;
	cpu->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | cr0;
	seg_flat(&cpu->seg[X86_CS], 8, 0xa09b);
	for (i = 0; i < X86_NSEG; i++)
		if (i != X86_CS && i < X86_LDTR)
			seg_flat(&cpu->seg[i], 16, 0xc093);
	x86_update_mode(cpu);
	x86_tlb_flush(cpu, true);
	assert_int_equal(cpu->csz, 8);
}

#endif /* _TESTS_FAKE_CPU_H_ */
