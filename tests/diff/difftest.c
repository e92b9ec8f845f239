/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * difftest: differential tests of our x86-64 CPU (vmm/x86) against the
 * host CPU (issue 4, "Tests").
 *
 * Each instruction family generates random cases: a short code sequence,
 * all 16 GPRs, the arithmetic flags and DF, biased to edge values, and
 * the contents of the scratch pages.  A batch of cases runs natively in a
 * forked child (native.c) and then, case by case, in our CPU in 64-bit
 * mode (emu.c).  Families named *_32 generate 32-bit code instead: the
 * child runs it in compatibility mode, our CPU at CPL 3 in legacy
 * protected mode or compatibility mode (difftest.h DT_MODE32); where the
 * kernel cannot run 32-bit code they print "SKIP: name (no 32-bit compat
 * mode)".  Compared: all GPRs, RFLAGS (minus the flags the SDM
 * leaves undefined for the instruction: each generator file has the
 * table), the scratch data and stack pages, and the outcome: "ran to the
 * end" or "exception N at RIP r" (with error code, and CR2 for #PF).
 *
 *   difftest.h   shared layout (same virtual addresses on both sides)
 *   enc.c        random values, operand picking, the x86 encoder
 *   gen_alu.c    ALU, INC/DEC/NEG/NOT, MUL/IMUL/DIV/IDIV, #DE, shifts,
 *                rotates, SHLD/SHRD
 *   gen_misc.c   BT*, BSF/BSR/LZCNT/TZCNT/POPCNT, BSWAP, CMOVcc, SETcc,
 *                Jcc/LOOP/JrCXZ/JMP, MOV/MOVZX/MOVSX/MOVSXD, LEA, XCHG,
 *                XADD, CMPXCHG/8B/16B, CBW..CQO
 *   gen_mem.c    string instructions, stack operations, LAHF/SAHF,
 *                CLC..STD, exceptions (#UD #BP #GP #SS)
 *   gen_seq.c    flag-passing sequences, loops, NOPs, XLAT,
 *                self-modifying code
 *   gen_fault.c  page faults (operands, stack, REP strings, instruction
 *                fetch), segment overrides, extra prefixes
 *   gen_p32.c    32-bit code only: INC/DEC 40-4F, BCD, PUSHA/POPA,
 *                BOUND, stacks with 16-bit operands, 16-bit addressing,
 *                segment registers, exceptions at CPL 3 (the other files
 *                add *_32 families that run their generators as 32-bit
 *                code)
 *
 * Usage:
 *   difftest [--seed N] [--count N] [--family NAME[,NAME...]]
 *            [--case I] [--verbose] [--max-fail N] [--list]
 *            [--pf-err-mask M]
 *
 *   --count N   cases per family (default 5000, what make check runs:
 *               the 64-bit families take about 6 s of CPU, the 32-bit
 *               ones a few more).  More cases:
 *               difftest --count 1000000, or other seeds:
 *               for s in $(seq 100); do difftest --seed $s; done
 *               tests/diff/run.sh passes $DIFFTEST_ARGS on, e.g.
 *               DIFFTEST_ARGS="--count 100000" bash tests/diff/run.sh
 *   --seed N    base seed (default 1); case I of family F is the same
 *               for a given seed whatever --count is.
 *   --case I    run only case I (what the failure reports print as the
 *               reproduction command); with --verbose shows the case
 *               and both outcomes even when it passes.
 *   --max-fail N  failures printed in detail per family (default 3)
 *   --pf-err-mask M  #PF error code bits compared (default 3: P, W)
 *
 * Prints one "PASS: name" or "FAIL: name" line per family (plus details
 * of the first failures), "SKIP: name (why)" when the host CPU lacks the
 * instructions.  Exit status 1 if any family failed.
 *
 * Adding a family: a generator (struct dt_gen *) that calls the helpers
 * of enc.c, and a line in its file's table.  Rules the harness relies on:
 * never let RSP point outside the stack page unless the family tests
 * that; touch memory only in the data and stack pages (or the hole after
 * them, for faults); no privileged instructions (the native side runs at
 * CPL 3, ours at CPL 0; 32-bit code runs at CPL 3 on both sides).  A
 * 32-bit family is a table row with m32 set: its generators see g->m32
 * (no REX, no 64-bit operands, 67 selects 16-bit addresses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/diff/difftest.h"

#define BATCH	256
/*
 * #PF error code bits compared by default: P and W (SDM Vol 3 4.7).  U
 * differs by construction (the native side runs at CPL 3, ours at CPL 0).
 */
static uint64_t pf_err_mask = 0x3;

static const struct dt_family *const groups[] = {
	dt_alu_families, dt_misc_families, dt_mem_families, dt_seq_families,
	dt_fault_families, dt_p32_families,
};
#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

static const char *gpr_name[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

struct opts {
	uint64_t	seed;
	unsigned	count;
	long		one_case;
	unsigned	max_fail;
	bool		verbose;
	const char	*families;
};

const struct dt_family *
dt_find_family(const char *name)
{
	const struct dt_family *f;
	size_t i;

	for (i = 0; i < NGROUPS; i++)
		for (f = groups[i]; f->name != NULL; f++)
			if (strcmp(f->name, name) == 0)
				return (f);
	return (NULL);
}

static uint64_t
family_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return (h);
}

static void
gen_case(const struct dt_family *f, uint64_t seed, uint32_t index,
    struct dt_case *c)
{
	struct dt_gen g;

	int i;

	memset(c, 0, sizeof(*c));
	c->seed = seed ^ family_hash(f->name) ^ ((uint64_t)index *
	    0xd6e8feb86659fd93ull);
	c->index = index;
	c->mode = f->m32 ? DT_MODE32 : DT_MODE64;
	g.r.s = c->seed;
	rng_next(&g.r);
	gen_begin(&g, c);
	f->gen(&g);
	/* 32-bit code: the generators' 64-bit arithmetic wraps at 4 GiB */
	if (c->mode == DT_MODE32)
		for (i = 0; i < 8; i++)
			c->in.gpr[i] &= 0xffffffffull;
}

/* GPR bits compared: only the low halves of RAX..RDI in 32-bit code. */
static uint64_t
gpr_cmp_mask(const struct dt_case *c, int i)
{
	return (c->mode == DT_MODE32 && i < 8 ? 0xffffffffull : ~0ull);
}

static void
flags_str(char *buf, size_t n, uint64_t f)
{
	snprintf(buf, n, "%c%c%c%c%c%c%c",
	    (f & F_OF) ? 'O' : '-', (f & F_DF) ? 'D' : '-',
	    (f & F_SF) ? 'S' : '-', (f & F_ZF) ? 'Z' : '-',
	    (f & F_AF) ? 'A' : '-', (f & F_PF) ? 'P' : '-',
	    (f & F_CF) ? 'C' : '-');
}

static void
print_case(const struct dt_case *c)
{
	char fl[16];
	int i;

	printf("    code:");
	for (i = 0; i < c->len; i++)
		printf(" %02x", c->code[i]);
	printf("   (%s%s)\n", c->mode == DT_MODE32 ? "32-bit: " : "",
	    c->desc);
	if (c->code_at != 0)
		printf("    code at %#llx\n",
		    (unsigned long long)(DT_CODE_VA + c->code_at));
	if (c->mode == DT_MODE32)
		printf("    32-bit code; ours in %s\n", emu_mode_name(c));
	flags_str(fl, sizeof(fl), c->in.rflags);
	printf("    in:  rflags %#06llx [%s]  compared flags %#06x "
	    "regs %#06x\n",
	    (unsigned long long)c->in.rflags, fl, c->flag_mask, c->reg_mask);
	for (i = 0; i < 16; i++)
		printf("      %-3s %016llx%s", gpr_name[i],
		    (unsigned long long)c->in.gpr[i], (i & 3) == 3 ? "\n" : "");
	for (i = 0; i < c->npoke; i++)
		printf("      mem[%#llx] (%u bytes) = %#llx\n",
		    (unsigned long long)c->poke[i].addr, c->poke[i].size,
		    (unsigned long long)c->poke[i].val);
}

static void
print_outcome(const char *who, const struct dt_result *r)
{
	char fl[16];

	flags_str(fl, sizeof(fl), r->out.rflags);
	if (r->status != DT_OK)
		printf("    %s: %s\n", who, r->note);
	else if (r->vector == 14)
		printf("    %s: #PF error code %#llx cr2 %#llx at rip %#llx, "
		    "rflags %#llx [%s]\n", who, (unsigned long long)r->err,
		    (unsigned long long)r->cr2,
		    (unsigned long long)r->fault_rip,
		    (unsigned long long)r->out.rflags, fl);
	else if (r->vector >= 0)
		printf("    %s: exception vector %d error code %#llx at rip "
		    "%#llx, rflags %#llx [%s]\n", who, r->vector,
		    (unsigned long long)r->err,
		    (unsigned long long)r->fault_rip,
		    (unsigned long long)r->out.rflags, fl);
	else
		printf("    %s: completed, rflags %#llx [%s]\n", who,
		    (unsigned long long)r->out.rflags, fl);
}

/* Registers that the code changed (for --verbose). */
static void
print_changes(const struct dt_case *c, const struct dt_result *r)
{
	int i;

	for (i = 0; i < 16; i++)
		if (((c->in.gpr[i] ^ r->out.gpr[i]) & gpr_cmp_mask(c, i)) != 0)
			printf("    %-3s -> %016llx\n", gpr_name[i],
			    (unsigned long long)r->out.gpr[i]);
}

/* Compare; print the differences when `print`.  Returns true if equal. */
static bool
compare(const struct dt_case *c, const struct dt_result *nat,
    const struct dt_result *ours, bool print)
{
	bool ok = true;
	uint64_t fm = c->flag_mask, d;
	int i, shown;

	if (nat->status != DT_OK || ours->status != DT_OK) {
		if (print) {
			print_outcome("native", nat);
			print_outcome("ours  ", ours);
		}
		return (false);
	}
	if (nat->vector != ours->vector) {
		if (print) {
			print_outcome("native", nat);
			print_outcome("ours  ", ours);
		}
		return (false);
	}
	/* same vector: RIP, error code, CR2, then the state as usual */
	if ((nat->vector >= 0 && nat->fault_rip != ours->fault_rip) ||
	    (nat->vector == 14 && (nat->cr2 != ours->cr2 ||
	    ((nat->err ^ ours->err) & pf_err_mask) != 0)) ||
	    (nat->vector >= 0 && nat->vector != 14 && nat->err != ours->err)) {
		if (print) {
			print_outcome("native", nat);
			print_outcome("ours  ", ours);
		}
		ok = false;
	}
	if (((nat->out.rflags ^ ours->out.rflags) & fm) != 0) {
		if (print) {
			char a[16], b[16], m[16];

			flags_str(a, sizeof(a), nat->out.rflags & fm);
			flags_str(b, sizeof(b), ours->out.rflags & fm);
			flags_str(m, sizeof(m),
			    (nat->out.rflags ^ ours->out.rflags) & fm);
			printf("    rflags: native [%s] ours [%s] differ in "
			    "[%s]\n", a, b, m);
		}
		ok = false;
	}
	for (i = 0; i < 16; i++) {
		if (!(c->reg_mask & (1u << i)))
			continue;
		if (((nat->out.gpr[i] ^ ours->out.gpr[i]) &
		    gpr_cmp_mask(c, i)) != 0) {
			if (print)
				printf("    %-3s: native %016llx "
				    "ours %016llx\n",
				    gpr_name[i],
				    (unsigned long long)nat->out.gpr[i],
				    (unsigned long long)ours->out.gpr[i]);
			ok = false;
		}
	}
	for (i = 0, shown = 0; i < DT_DATA_SZ; i++) {
		if (nat->data[i] == ours->data[i])
			continue;
		ok = false;
		if (print && shown++ < 8)
			printf("    mem[%#llx]: native %02x ours %02x\n",
			    (unsigned long long)(DT_DATA_VA + (uint64_t)i),
			    nat->data[i], ours->data[i]);
	}
	for (i = 0; i < DT_STACK_SZ; i++) {
		d = DT_STACK_VA + (uint64_t)i;
		if (nat->stack[i] == ours->stack[i])
			continue;
		ok = false;
		if (print && shown++ < 8)
			printf("    stack[%#llx]: native %02x ours %02x\n",
			    (unsigned long long)d, nat->stack[i],
			    ours->stack[i]);
	}
	return (ok);
}

static bool
selected(const struct opts *o, const char *name)
{
	const char *p = o->families;
	size_t n = strlen(name);

	if (p == NULL)
		return (true);
	while (*p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return (true);
		p = strchr(p, ',');
		if (p == NULL)
			break;
		p++;
	}
	return (false);
}

static bool
run_family(const struct opts *o, const struct dt_family *f,
    struct dt_case *cases, struct dt_result *nat, struct dt_result *ours)
{
	unsigned first, last, done, fails = 0, i, n;
	bool ok;

	if (o->one_case >= 0) {
		first = (unsigned)o->one_case;
		last = first + 1;
	} else {
		first = 0;
		last = o->count;
	}
	for (done = first; done < last; done += n) {
		n = last - done < BATCH ? last - done : BATCH;
		for (i = 0; i < n; i++)
			gen_case(f, o->seed, done + i, &cases[i]);
		if (native_run(cases, nat, (int)n) < 0) {
			printf("FAIL: %s\n    cannot fork\n", f->name);
			return (false);
		}
		for (i = 0; i < n; i++) {
			emu_run(&cases[i], ours);
			ok = compare(&cases[i], &nat[i], ours, false);
			if (ok && !o->verbose)
				continue;
			if (!ok)
				fails++;
			if (fails > o->max_fail && !ok)
				continue;
			printf("  %s case %u: %s\n", f->name, cases[i].index,
			    ok ? "pass" : "MISMATCH");
			print_case(&cases[i]);
			if (ok) {
				print_outcome("native", &nat[i]);
				print_outcome("ours  ", ours);
				print_changes(&cases[i], ours);
				continue;
			}
			compare(&cases[i], &nat[i], ours, true);
			printf("    repro: difftest --seed %llu --family %s "
			    "--case %u\n", (unsigned long long)o->seed, f->name,
			    cases[i].index);
		}
	}
	if (fails > 0)
		printf("FAIL: %s (%u of %u cases differ)\n", f->name, fails,
		    last - first);
	else
		printf("PASS: %s\n", f->name);
	fflush(stdout);
	return (fails == 0);
}

/*
 * Can the host run 32-bit code natively?  An empty DT_MODE32 case must
 * come back without an exception: kernels built without IA32 emulation
 * (or booted with it off, or running under a hypervisor that offers no
 * 32-bit user code segment) fault on the far JMP into it.
 */
static bool
compat32_ok(struct dt_case *cases, struct dt_result *nat)
{
	memset(&cases[0], 0, sizeof(cases[0]));
	cases[0].mode = DT_MODE32;
	cases[0].in.gpr[RSP] = DT_STACK_TOP;
	cases[0].in.rflags = 0x2;
	if (native_run(cases, nat, 1) != 1)
		return (false);
	return (nat[0].status == DT_OK && nat[0].vector < 0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: difftest [--seed N] [--count N] "
	    "[--family A,B] [--case I] [--verbose] [--max-fail N] [--list]\n"
	    "                [--pf-err-mask M]\n");
	exit(2);
}

/*
 * Under ASan the native child blocks (no CPU used) once single-step
 * traps arrive in its signal handler, so those families are left to the
 * normal build; every other family runs.
 */
static bool
asan_trap_hangs(const char *name)
{
#ifdef __SANITIZE_ADDRESS__
	return (strncmp(name, "single_step", 11) == 0);
#else
	(void)name;
	return (false);
#endif
}

int
main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .count = 5000, .one_case = -1,
	    .max_fail = 3 };
	struct dt_case *cases;
	struct dt_result *nat, *ours;
	const struct dt_family *f;
	bool all_ok = true;
	size_t i;
	int a, compat = -1;

	for (a = 1; a < argc; a++) {
		const char *s = argv[a];

		if (strcmp(s, "--list") == 0) {
			for (i = 0; i < NGROUPS; i++)
				for (f = groups[i]; f->name != NULL; f++)
					printf("%s\n", f->name);
			return (0);
		} else if (strcmp(s, "--verbose") == 0 || strcmp(s, "-v") == 0)
			o.verbose = true;
		else if (a + 1 >= argc)
			usage();
		else if (strcmp(s, "--seed") == 0)
			o.seed = strtoull(argv[++a], NULL, 0);
		else if (strcmp(s, "--count") == 0)
			o.count = (unsigned)strtoul(argv[++a], NULL, 0);
		else if (strcmp(s, "--case") == 0)
			o.one_case = strtol(argv[++a], NULL, 0);
		else if (strcmp(s, "--max-fail") == 0)
			o.max_fail = (unsigned)strtoul(argv[++a], NULL, 0);
		else if (strcmp(s, "--pf-err-mask") == 0)
			pf_err_mask = strtoull(argv[++a], NULL, 0);
		else if (strcmp(s, "--family") == 0)
			o.families = argv[++a];
		else
			usage();
	}
	ours = calloc(1, sizeof(*ours));
	if (ours == NULL || native_alloc(BATCH, &cases, &nat) != 0) {
		fprintf(stderr, "difftest: out of memory\n");
		return (2);
	}
	if (emu_init() != 0) {
		fprintf(stderr, "difftest: cannot set up our CPU\n");
		return (2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NGROUPS; i++) {
		for (f = groups[i]; f->name != NULL; f++) {
			if (!selected(&o, f->name))
				continue;
			if (f->host_ok != NULL && !f->host_ok()) {
				printf("SKIP: %s (the host CPU lacks it)\n",
				    f->name);
				continue;
			}
			if (asan_trap_hangs(f->name)) {
				printf("SKIP: %s (native #DB traps hang under "
				    "AddressSanitizer)\n", f->name);
				continue;
			}
			if (f->m32 && compat < 0)
				compat = compat32_ok(cases, nat);
			if (f->m32 && !compat) {
				printf("SKIP: %s (no 32-bit compat mode)\n",
				    f->name);
				continue;
			}
			if (!run_family(&o, f, cases, nat, ours))
				all_ok = false;
		}
	}
	emu_fini();
	free(ours);
	return (all_ok ? 0 : 1);
}
