/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPUID model (SDM Vol 2A CPUID; Vol 3 8.9 for topology).
 *
 * Feature bits come from ONE table, cpuid_features[], and it lists only
 * what this CPU implements.  x87/MMX/SSE are absent until fpu.c/sse.c
 * exist (issue 6 adds rows); the APIC bit waits for the in-engine LAPIC.
 * Topology (leaves 1, 4, 0xB) follows the -c sockets/cores/threads of
 * struct x86_machine, with APIC ID = vCPU id as bhyve does.
 */
#include <string.h>

#include "vmm/x86/fpu.h"
#include "vmm/x86/mmu.h"

enum { EAX, EBX, ECX, EDX };

struct cpuid_feature {
	uint32_t	leaf;
	uint8_t		reg;
	uint8_t		bit;
	const char	*name;
};

/* What is implemented.  Add a row when an instruction set lands. */
static const struct cpuid_feature cpuid_features[] = {
	{ 0x1, EDX, 2, "de" },		/* CR4.DE, DR4/DR5 #UD */
	{ 0x1, EDX, 3, "pse" },
	{ 0x1, EDX, 4, "tsc" },
	{ 0x1, EDX, 5, "msr" },
	{ 0x1, EDX, 6, "pae" },
	{ 0x1, EDX, 8, "cx8" },
	{ 0x1, EDX, 11, "sep" },	/* SYSENTER/SYSEXIT */
	{ 0x1, EDX, 12, "mtrr" },	/* stored, no effect */
	{ 0x1, EDX, 13, "pge" },
	{ 0x1, EDX, 15, "cmov" },
	{ 0x1, EDX, 16, "pat" },	/* stored, no effect */
	{ 0x1, EDX, 17, "pse36" },
	{ 0x1, EDX, 0, "fpu" },		/* x87, MMX, SSE..: issue 6 */
	{ 0x1, EDX, 23, "mmx" },
	{ 0x1, EDX, 24, "fxsr" },
	{ 0x1, EDX, 25, "sse" },
	{ 0x1, EDX, 26, "sse2" },
	{ 0x1, ECX, 0, "pni" },		/* SSE3 */
	{ 0x1, ECX, 9, "ssse3" },
	{ 0x1, ECX, 19, "sse4_1" },
	{ 0x1, ECX, 20, "sse4_2" },	/* PCMPxSTRx, CRC32 */
	{ 0x1, ECX, 26, "xsave" },	/* x87 | SSE components, leaf 0xD */
	{ 0x7, EBX, 13, "fcs_fds_dep" },	/* FCS/FDS saved as 0 */
	{ 0x1, ECX, 13, "cx16" },
	{ 0x1, ECX, 23, "popcnt" },
	{ 0x1, ECX, 31, "hypervisor" },
	/*
	 * ARAT: the local APIC timer keeps running in every C-state (its
	 * callouts are host timers).  Without it Linux marks the timer
	 * C3STOP and relies on a broadcast timer; its power-off then hung
	 * with every vCPU idle.
	 */
	{ 0x6, EAX, 2, "arat" },
	{ 0x7, EBX, 7, "smep" },
	{ 0x7, EBX, 20, "smap" },	/* with CLAC/STAC */
	{ 0x80000001, ECX, 0, "lahf_lm" },
	{ 0x80000001, ECX, 5, "abm" },	/* LZCNT */
	{ 0x80000001, EDX, 11, "syscall" },
	{ 0x80000001, EDX, 20, "nx" },
	{ 0x80000001, EDX, 26, "pdpe1gb" },
	{ 0x80000001, EDX, 27, "rdtscp" },
	{ 0x80000001, EDX, 29, "lm" },
	{ 0x80000007, EDX, 8, "invtsc" },
};

#define CPUID_MAX_BASIC		0xd	/* 0xD: XSAVE (issue 6) */
#define CPUID_MAX_BASIC_TSC	0x16	/* with the TSC frequency leaves */
#define CPUID_MAX_EXT		0x80000008
#define CPUID_MAX_HV		0x40000000
/* Family 6, model 0x3a, stepping 9 (SDM Vol 2A Figure 3-6). */
#define CPUID_SIGNATURE		0x000306a9

static const char cpuid_brand[48] = "bhyve software x86-64 CPU";

static void
cpuid_feature_bits(uint32_t leaf, uint32_t out[4])
{
	size_t i;

	for (i = 0; i < sizeof(cpuid_features) / sizeof(cpuid_features[0]);
	    i++)
		if (cpuid_features[i].leaf == leaf)
			out[cpuid_features[i].reg] |=
			    1u << cpuid_features[i].bit;
}

bool
x86_cpuid_has(uint32_t leaf, int reg, unsigned bit)
{
	uint32_t out[4] = { 0, 0, 0, 0 };

	cpuid_feature_bits(leaf, out);
	return ((out[reg] >> bit) & 1);
}

static unsigned
log2up(unsigned n)
{
	unsigned l = 0;

	while ((1u << l) < n)
		l++;
	return (l);
}

static void
cpuid_topo(const struct x86_cpu *cpu, unsigned *threads, unsigned *cores)
{
	const struct x86_machine *m = cpu->mach;

	*threads = (m != NULL && m->threads != 0) ? m->threads : 1;
	*cores = (m != NULL && m->cores != 0) ? m->cores : 1;
}

/* Deterministic cache parameters (leaf 4). */
static void
cpuid_cache(const struct x86_cpu *cpu, uint32_t sub, uint32_t out[4])
{
	static const struct {
		uint8_t type, level, ways;
		uint32_t size;
		bool package;
	} c[] = {
		{ 1, 1, 8, 32 << 10, false },	/* L1d */
		{ 2, 1, 8, 32 << 10, false },	/* L1i */
		{ 3, 2, 8, 256 << 10, false },	/* L2 */
		{ 3, 3, 16, 8 << 20, true },	/* L3 */
	};
	unsigned threads, cores, share;

	if (sub >= sizeof(c) / sizeof(c[0]))
		return;
	cpuid_topo(cpu, &threads, &cores);
	share = c[sub].package ? threads * cores : threads;
	out[EAX] = c[sub].type | (uint32_t)c[sub].level << 5 | 1u << 8 |
	    ((1u << log2up(share)) - 1) << 14 |
	    ((1u << log2up(cores)) - 1) << 26;
	out[EBX] = (uint32_t)(c[sub].ways - 1) << 22 | (64 - 1);
	out[ECX] = c[sub].size / (c[sub].ways * 64) - 1;
	out[EDX] = c[sub].package ? 0x2 : 0;	/* inclusive L3 */
}

/* Extended topology (leaf 0xB). */
static void
cpuid_xtopo(const struct x86_cpu *cpu, uint32_t sub, uint32_t out[4])
{
	unsigned threads, cores;

	cpuid_topo(cpu, &threads, &cores);
	out[ECX] = sub & 0xff;
	out[EDX] = (uint32_t)cpu->vcpuid;
	if (sub == 0) {
		out[EAX] = log2up(threads);
		out[EBX] = threads;
		out[ECX] |= 1u << 8;		/* SMT level */
	} else if (sub == 1) {
		out[EAX] = log2up(threads) + log2up(cores);
		out[EBX] = threads * cores;
		out[ECX] |= 2u << 8;		/* core level */
	}
}

static uint32_t
cpuid_tsc_khz(const struct x86_cpu *cpu)
{
	return (cpu->mach != NULL ? cpu->mach->tsc_khz : 0);
}

void
x86_cpuid(struct x86_cpu *cpu, uint32_t leaf, uint32_t subleaf,
    uint32_t out[4])
{
	uint32_t maxb = cpuid_tsc_khz(cpu) ? CPUID_MAX_BASIC_TSC :
	    CPUID_MAX_BASIC;
	unsigned threads, cores;

	out[0] = out[1] = out[2] = out[3] = 0;
	/* Out-of-range leaves answer as the highest basic leaf (Vol 2A). */
	if ((leaf > maxb && leaf < 0x40000000) ||
	    (leaf > CPUID_MAX_HV && leaf < 0x80000000) ||
	    leaf > CPUID_MAX_EXT) {
		leaf = maxb;
		subleaf = 0;
	}
	cpuid_topo(cpu, &threads, &cores);
	switch (leaf) {
	case 0x0:
		out[EAX] = maxb;
		memcpy(&out[EBX], "Genu", 4);
		memcpy(&out[EDX], "ineI", 4);
		memcpy(&out[ECX], "ntel", 4);
		return;
	case 0x1:
		cpuid_feature_bits(leaf, out);
		out[EAX] = CPUID_SIGNATURE;
		out[EBX] = (64 / 8) << 8 |
		    (uint32_t)(1u << log2up(threads * cores)) << 16 |
		    ((uint32_t)cpu->vcpuid & 0xff) << 24;
		if (threads * cores > 1)
			out[EDX] |= 1u << 28;		/* HTT */
		if (cpu->mach != NULL && cpu->mach->x2apic)
			out[ECX] |= 1u << 21;
		if (cpu->mach != NULL && cpu->mach->apic)
			out[EDX] |= 1u << 9;
		if (cpu->mach != NULL && cpu->mach->tsc_deadline)
			out[ECX] |= 1u << 24;
		if (cpu->cr4 & X86_CR4_OSXSAVE)
			out[ECX] |= 1u << 27;		/* OSXSAVE */
		if (!x86_sse_host_full())	/* sse.c runs them on the host */
			out[ECX] &= ~(1u << 0 | 1u << 9 | 1u << 19 | 1u << 20);
		return;
	case 0xd:
		/* XSAVE (SDM Vol 1 13.2): x87 | SSE, standard format only */
		if (subleaf == 0) {
			out[EAX] = 0x3;
			out[EBX] = 576;		/* for XCR0 (any legal value) */
			out[ECX] = 576;
		} else if (subleaf == 1) {
			out[EAX] = 0x5;		/* XSAVEOPT, XGETBV ECX=1 */
		}
		return;
	case 0x4:
		cpuid_cache(cpu, subleaf, out);
		return;
	case 0x7:
		if (subleaf == 0)
			cpuid_feature_bits(leaf, out);
		return;
	case 0xb:
		cpuid_xtopo(cpu, subleaf, out);
		return;
	case 0x15:
		/* TSC = crystal * EBX / EAX; the "crystal" is the TSC. */
		out[EAX] = 1;
		out[EBX] = 1;
		out[ECX] = cpuid_tsc_khz(cpu) * 1000;
		return;
	case 0x16:
		out[EAX] = cpuid_tsc_khz(cpu) / 1000;	/* base MHz */
		out[EBX] = out[EAX];			/* max MHz */
		out[ECX] = 100;				/* bus MHz */
		return;
	case 0x40000000:
		out[EAX] = CPUID_MAX_HV;
		memcpy(&out[EBX], "bhyv", 4);
		memcpy(&out[ECX], "e bh", 4);
		memcpy(&out[EDX], "yve ", 4);
		return;
	case 0x80000000:
		out[EAX] = CPUID_MAX_EXT;
		return;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		memcpy(out, cpuid_brand + (leaf - 0x80000002) * 16, 16);
		return;
	case 0x80000006:
		out[ECX] = 256u << 16 | 0x6u << 12 | 64;	/* L2 */
		return;
	case 0x80000008:
		out[EAX] = X86_MAXLINADDR << 8 | X86_MAXPHYADDR;
		out[ECX] = threads * cores - 1;
		return;
	default:
		cpuid_feature_bits(leaf, out);
		return;
	}
}
