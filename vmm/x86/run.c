/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interpreter's run loop and decode cache (DESIGN §5).
 *
 * Decoded instructions live in blocks: a run of instructions from one
 * guest-physical code page, ending at a branch or anything else that may
 * change RIP, mode or interrupt state (decode.c marks those), at the page
 * end, or after X86_BLOCK_MAX instructions.  A block is keyed by the gpa
 * of its first byte and the code size (CS.D/L decide the decoding), and
 * is valid while the page's write generation mach->code_gen[gpn] is the
 * one it was decoded under: mmu.c bumps the generation on every write to
 * a page that x86_mark_code_page() marked, from any vCPU.  A vCPU that
 * writes to a code page itself also sets cpu->brk, and the loop then
 * rechecks the generation, so code that modifies its own block takes
 * effect at the next instruction.
 *
 * A direct JMP or CALL to the same page does not end a block: decoding
 * goes on at its target (follow_direct), and `bytes' then counts more
 * than the block's extent, which only 64-bit blocks (no limit) allow.
 *
 * Blocks ending in a plain near branch (X86_IF_CHAIN) chain: when the
 * target lies in the same linear page, the next block is found from the
 * previous one's successor pointers (or the hash) without translating
 * again, up to X86_CHAIN_MAX blocks between looks at interrupts.
 *
 * Block storage is a per-vCPU arena (struct x86_icache): no allocation
 * or locking per instruction.  When the arena fills up, everything is
 * dropped at once.  Instructions that straddle a page boundary, or come
 * from pages outside the generation array, are decoded afresh each time.
 *
 * Exceptions are data (STYLE 8): a handler records one with x86_raise()
 * and returns X86_FAULT; insn_abort() puts RIP back and delivers.
 * Interrupts, NMIs, kicks and the instruction budget are looked at
 * between blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86/decode.h"
#include "vmm/x86/ops.h"

#define X86_BLOCK_MAX	64
/* about 8 MiB per vCPU: a kernel's hot code fits without flushes */
#define IC_HASH		16384		/* buckets, power of two */
#define IC_NBLOCKS	32768
#define IC_NINSNS	131072

struct x86_block {
	uint64_t		key;	/* gpa << 4 | csz */
	struct x86_block	*next;	/* hash chain */
	struct x86_insn		*insn;
	/* successors in the same page, tried before the hash (chaining) */
	struct x86_block	*succ[2];
	uint32_t		gen;
	uint16_t		n;	/* instructions */
	uint16_t		bytes;
	uint16_t		off;	/* gpa & 4095: successor match */
	uint8_t			chain;	/* last insn is X86_IF_CHAIN */
	uint8_t			succ_rr;
};

#define X86_CHAIN_MAX	64	/* blocks run between event checks */

struct x86_icache {
	struct x86_block	*hash[IC_HASH];
	unsigned		nblocks, ninsns;
	uint64_t		flushes;
	struct x86_block	blocks[IC_NBLOCKS];
	struct x86_insn		insns[IC_NINSNS];
};

/* ---- Lifecycle ---- */

int
x86_machine_init(struct x86_machine *m, uint64_t guest_phys_top)
{
	uint64_t n = (guest_phys_top + 4095) >> 12;

	memset(m, 0, sizeof(*m));
	m->code_gen = calloc(n ? n : 1, sizeof(*m->code_gen));
	m->code_mark = calloc(n ? n : 1, sizeof(*m->code_mark));
	if (m->code_gen == NULL || m->code_mark == NULL) {
		x86_machine_fini(m);
		return (-ENOMEM);
	}
	m->npages = n;
	m->sockets = m->cores = m->threads = m->maxcpus = 1;
	return (0);
}

void
x86_machine_fini(struct x86_machine *m)
{
	free(m->code_gen);
	free(m->code_mark);
	m->code_gen = NULL;
	m->code_mark = NULL;
	m->npages = 0;
}

int
x86_cpu_init(struct x86_cpu *cpu, struct x86_machine *m,
    const struct x86_bus *bus, void *bus_ctx, int vcpuid)
{
	int error;

	memset(cpu, 0, sizeof(*cpu));
	cpu->mach = m;
	cpu->bus = bus;
	cpu->bus_ctx = bus_ctx;
	cpu->vcpuid = vcpuid;
	cpu->icache = calloc(1, sizeof(*cpu->icache));
	if (cpu->icache == NULL)
		return (-ENOMEM);
	x86_cpu_reset(cpu);
	error = x86_mmu_init(cpu);
	if (error != 0) {
		x86_cpu_fini(cpu);
		return (error);
	}
	return (0);
}

void
x86_cpu_fini(struct x86_cpu *cpu)
{
	x86_mmu_fini(cpu);
	free(cpu->icache);
	cpu->icache = NULL;
}

static void
seg_reset(struct x86_seg *s, uint16_t sel, uint64_t base, uint32_t access)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->access = access;
}

/* Power-on / INIT state, SDM Vol 3 9.1.1 Table 9-1. */
void
x86_cpu_reset(struct x86_cpu *cpu)
{
	int i;

	memset(cpu->gpr, 0, sizeof(cpu->gpr));
	cpu->gpr[X86_RDX] = 0x600;		/* family 6 */
	cpu->rip = 0xfff0;
	x86_set_flags(cpu, X86_RF1);
	for (i = 0; i < X86_NSEG; i++)
		seg_reset(&cpu->seg[i], 0, 0, 0x93);
	seg_reset(&cpu->seg[X86_CS], 0xf000, 0xffff0000, 0x9b);
	seg_reset(&cpu->seg[X86_LDTR], 0, 0, 0x82);
	seg_reset(&cpu->seg[X86_TR], 0, 0, 0x8b);
	cpu->gdtr.base = cpu->idtr.base = 0;
	cpu->gdtr.limit = cpu->idtr.limit = 0xffff;
	cpu->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = 0;
	cpu->efer = 0;
	cpu->xcr0 = 1;
	memset(cpu->dr, 0, sizeof(cpu->dr));
	cpu->dr[6] = 0xffff0ff0;
	cpu->dr[7] = 0x400;
	cpu->msr.pat = 0x0007040600070406ull;
	cpu->msr.apic_base = 0xfee00000ull | (1u << 11) |
	    (cpu->vcpuid == 0 ? (1u << 8) : 0);
	memset(cpu->fxstate, 0, sizeof(cpu->fxstate));
	cpu->fxstate[0] = 0x7f;			/* FCW 0x037F */
	cpu->fxstate[1] = 0x03;
	cpu->fxstate[24] = 0x80;		/* MXCSR 0x1F80 */
	cpu->fxstate[25] = 0x1f;
	cpu->exc.valid = 0;
	cpu->intinfo = 0;
	cpu->intr_shadow = 0;
	cpu->nmi_blocked = 0;
	cpu->halted = 0;
	cpu->exit_retired = 0;
	memset(&cpu->replay, 0, sizeof(cpu->replay));
	x86_update_mode(cpu);
	x86_tlb_flush(cpu, true);
}

/* ---- Decode cache ---- */

static inline unsigned
ic_hash(uint64_t key)
{
	return ((unsigned)((key * 0x9e3779b97f4a7c15ull) >> 40) &
	    (IC_HASH - 1));
}

static void
ic_flush(struct x86_icache *ic)
{
	memset(ic->hash, 0, sizeof(ic->hash));
	ic->nblocks = 0;
	ic->ninsns = 0;
	ic->flushes++;
}

static struct x86_block *
ic_lookup(struct x86_icache *ic, uint64_t key)
{
	struct x86_block *b;

	for (b = ic->hash[ic_hash(key)]; b != NULL; b = b->next)
		if (b->key == key)
			return (b);
	return (NULL);
}

/*
 * A direct near JMP or CALL in 64-bit mode whose target lies in the same
 * page: the block goes on at the target (*off), so straight-line code
 * split by jumps and calls runs as one block.  The displacement alone
 * decides, whatever linear address maps the page; 64-bit mode has no
 * CS limit, and a target inside a canonical page is canonical.  (AMD
 * honours a 66 prefix on these; opsize 8 leaves that case out.)
 */
static bool
follow_direct(struct x86_insn *in, unsigned csz, unsigned *off)
{
	int64_t t;

	/* X86_IF_CHAIN: a plain branch (not a LOCK-prefixed #UD) */
	if (csz != 8 || !(in->flags & X86_IF_CHAIN) || in->map != 0 ||
	    in->opsize != 8 || (in->opcode != 0xe8 && in->opcode != 0xe9 &&
	    in->opcode != 0xeb))
		return (false);
	t = (int64_t)*off + (int64_t)in->imm;
	if (t < 0 || t >= 4096)
		return (false);
	in->flags &= ~(X86_IF_END | X86_IF_CHAIN);
	*off = (unsigned)t;
	return (true);
}

/*
 * Decode a block at `gpa` (page at `hpage`), reusing `b`'s slot when it
 * went stale.  NULL when the first instruction crosses the page end.
 */
static struct x86_block *
ic_build(struct x86_cpu *cpu, struct x86_block *b, uint64_t key,
    uint64_t gpa, const uint8_t *hpage, unsigned csz)
{
	struct x86_icache *ic = cpu->icache;
	struct x86_insn *ins;
	unsigned off = gpa & 4095, n = 0, bytes = 0;
	uint32_t gen;

	if (ic->ninsns + X86_BLOCK_MAX > IC_NINSNS ||
	    (b == NULL && ic->nblocks == IC_NBLOCKS)) {
		ic_flush(ic);
		b = NULL;
	}
	/* Mark first, then sample the generation, then read the bytes. */
	x86_mark_code_page(cpu, gpa);
	gen = atomic_load_explicit(&cpu->mach->code_gen[gpa >> 12],
	    memory_order_acquire);
	ins = &ic->insns[ic->ninsns];
	while (n < X86_BLOCK_MAX && off < 4096) {
		if (x86_decode(hpage + off, 4096 - off, csz, &ins[n]) != 0)
			break;
		off += ins[n].len;
		bytes += ins[n].len;
		if ((ins[n].flags & X86_IF_END) &&
		    !follow_direct(&ins[n], csz, &off)) {
			n++;
			break;
		}
		n++;
	}
	if (n == 0)
		return (NULL);
	ic->ninsns += n;
	if (b == NULL) {
		b = &ic->blocks[ic->nblocks++];
		b->key = key;
		b->off = (uint16_t)(gpa & 4095);
		b->next = ic->hash[ic_hash(key)];
		ic->hash[ic_hash(key)] = b;
	}
	b->insn = ins;
	b->n = (uint16_t)n;
	b->bytes = (uint16_t)bytes;
	b->gen = gen;
	b->chain = (ins[n - 1].flags & X86_IF_CHAIN) != 0;
	b->succ[0] = b->succ[1] = NULL;
	b->succ_rr = 0;
	return (b);
}

/* ---- Executing ---- */

/* Hand cpu->exc to the delivery code with RIP at the faulting insn. */
static int
deliver_exc(struct x86_cpu *cpu)
{
	int vec = cpu->exc.vector;
	int64_t err = cpu->exc.has_err ? (int64_t)cpu->exc.err : -1;
	int rc;

	cpu->exc.valid = 0;
	rc = x86_deliver(cpu, vec, err, false, cpu->rip);
	if (rc == X86_EXIT) {
		cpu->exit->rip = cpu->rip;
		return (X86_EXIT);
	}
	return (X86_OK);
}

static int
insn_abort(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t start,
    int rc)
{
	if (rc == X86_EXIT) {
		cpu->exit->rip = start;
		cpu->exit->inst_length = in->len;
		if (cpu->exit_retired) {
			cpu->exit_retired = 0;
			cpu->replay.n = 0;
			cpu->icount++;
		} else {
			cpu->rip = start;
			cpu->replay.rip = start;
		}
		return (X86_EXIT);
	}
	cpu->rip = start;
	cpu->replay.n = 0;
	return (deliver_exc(cpu));
}

/* Sequential IP wraps at the code size (64 KiB for 16-bit code). */
static inline uint64_t
ip_mask(unsigned csz)
{
	return (x86_mask(csz));
}

/*
 * After an instruction that raised cpu->brk: drop a replay log whose
 * instruction has now retired, and stop the block if this vCPU wrote
 * into its code page (self-modifying code takes effect at the next
 * instruction).  Another vCPU's writes are seen when the next block is
 * looked up, as cross-modifying code needs no more (SDM Vol 3 8.1.3).
 */
static bool
block_break(struct x86_cpu *cpu, const struct x86_block *b,
    const _Atomic uint32_t *genp)
{
	cpu->brk = 0;
	cpu->replay.n = 0;
	cpu->replay.pos = 0;
	return (atomic_load_explicit(genp, memory_order_acquire) != b->gen);
}

/*
 * Run up to `max` instructions of a block.  `limchk`: the block may run
 * past the CS limit or wrap IP, check each instruction (SDM Vol 3 5.3).
 * The retired count is added once at the end (or where an instruction
 * faults or exits): nothing inside an instruction reads it.
 */
static inline __attribute__((always_inline)) int
exec_block(struct x86_cpu *cpu, const struct x86_block *b, unsigned max,
    bool limchk, const _Atomic uint32_t *genp, bool *chain)
{
	const struct x86_insn *in = b->insn, *end;
	uint64_t ipm = ip_mask(cpu->csz), start;
	int rc;

	/* blocks hold at most X86_BLOCK_MAX: no min() on the common path */
	end = in + (max >= X86_BLOCK_MAX || b->n < max ? b->n : max);
	*chain = false;
	for (; in < end; in++) {
		start = cpu->rip;
		if (X86_UNLIKELY(limchk)) {
			if (start + in->len - 1 > cpu->seg[X86_CS].limit) {
				cpu->icount += (uint64_t)(in - b->insn);
				(void)x86_raise(cpu, IDT_GP, 0);
				return (insn_abort(cpu, in, start, X86_FAULT));
			}
			cpu->rip = (start + in->len) & ipm;
		} else {
			cpu->rip = start + in->len;
		}
		rc = in->fn(cpu, in);
		if (X86_UNLIKELY(rc != X86_OK)) {
			cpu->icount += (uint64_t)(in - b->insn);
			return (insn_abort(cpu, in, start, rc));
		}
		if (X86_UNLIKELY(cpu->brk) && block_break(cpu, b, genp)) {
			in++;
			break;
		}
	}
	cpu->icount += (uint64_t)(in - b->insn);
	*chain = b->chain && in == b->insn + b->n;
	return (X86_OK);
}

/*
 * One instruction without the cache: it straddles a page boundary (the
 * second page is only touched when the bytes are needed, so a #PF there
 * reports the right address), or its page has no generation counter.
 */
static int
exec_uncached(struct x86_cpu *cpu, uint64_t la, const uint8_t *hpage)
{
	static const _Atomic uint32_t nogen;
	struct x86_block b;
	bool chain;
	struct x86_insn in;
	uint8_t buf[X86_MAX_INSN];
	const uint8_t *hp2;
	unsigned off = la & 4095, n1 = 4096 - off;
	uint64_t gpa2, la2;
	int rc;

	if (n1 >= X86_MAX_INSN) {
		rc = x86_decode(hpage + off, n1, cpu->csz, &in);
	} else {
		memcpy(buf, hpage + off, n1);
		rc = x86_decode(buf, n1, cpu->csz, &in);
		if (rc == X86_DEC_MORE) {
			la2 = la + n1;
			if (cpu->csz != 8)
				la2 &= 0xffffffffull;
			if (x86_code_page(cpu, la2, &hp2, &gpa2) != X86_OK)
				return (deliver_exc(cpu));
			memcpy(buf + n1, hp2, X86_MAX_INSN - n1);
			rc = x86_decode(buf, X86_MAX_INSN, cpu->csz, &in);
		}
	}
	if (rc != 0)
		return (X86_OK);	/* cannot happen with 15 bytes */
	/* a one-instruction block whose generation never changes */
	memset(&b, 0, sizeof(b));
	b.key = 0;
	b.insn = &in;
	b.n = 1;
	b.bytes = in.len;
	b.gen = 0;
	return (exec_block(cpu, &b, 1, cpu->csz != 8, &nogen, &chain));
}

/* The block at `off` in the page of `prev`, by its successor links. */
static inline struct x86_block *
succ_find(const struct x86_block *prev, unsigned off)
{
	struct x86_block *b = prev->succ[0];

	if (b != NULL && b->off == off)
		return (b);
	b = prev->succ[1];
	if (b != NULL && b->off == off)
		return (b);
	return (NULL);
}

/* Fetch and run one block (or `max` instructions of it), then chain. */
static int
run_block(struct x86_cpu *cpu, unsigned max)
{
	struct x86_icache *ic = cpu->icache;
	const _Atomic uint32_t *genp;
	struct x86_block *b, *prev;
	const uint8_t *hpage;
	uint64_t la, nla, gpa, key, csbase, flushes;
	unsigned csz = cpu->csz, nb;
	bool limchk = false, chain;
	int rc;

	csbase = cpu->seg[X86_CS].base;
	la = csbase + cpu->rip;
	if (csz != 8) {
		la &= 0xffffffffull;
		if (cpu->rip > cpu->seg[X86_CS].limit) {
			(void)x86_raise(cpu, IDT_GP, 0);
			return (deliver_exc(cpu));
		}
	}
	if (x86_code_page(cpu, la, &hpage, &gpa) != X86_OK)
		return (deliver_exc(cpu));
	gpa = (gpa & ~4095ull) | (la & 4095);
	if (ic == NULL || cpu->mach == NULL ||
	    cpu->mach->code_gen == NULL || (gpa >> 12) >= cpu->mach->npages)
		return (exec_uncached(cpu, la, hpage));
	genp = &cpu->mach->code_gen[gpa >> 12];
	key = gpa << 4 | csz;
	b = ic_lookup(ic, key);
	if (b == NULL || b->gen != atomic_load_explicit(genp,
	    memory_order_acquire))
		b = ic_build(cpu, b, key, gpa, hpage, csz);
	if (b == NULL)
		return (exec_uncached(cpu, la, hpage));
	for (nb = 0;; nb++) {
		if (csz != 8) {
			/* the limit, or 16-bit IP wrapping in unreal mode */
			limchk = cpu->rip + b->bytes - 1 >
			    cpu->seg[X86_CS].limit ||
			    cpu->rip + b->bytes - 1 > ip_mask(csz);
		}
		/* two copies: the common one without the limit check */
		if (X86_UNLIKELY(limchk))
			rc = exec_block(cpu, b, max, true, genp, &chain);
		else
			rc = exec_block(cpu, b, max, false, genp, &chain);
		/*
		 * Chaining: a plain near branch to the same linear page
		 * stays in the same physical page, so the next block needs
		 * no translation (anything that changes mappings, modes or
		 * IF/TF ends a block without X86_IF_CHAIN).
		 */
		if (rc != X86_OK || !chain || nb >= X86_CHAIN_MAX ||
		    max != X86_BLOCK_MAX)
			return (rc);
		nla = csbase + cpu->rip;
		if (csz != 8)
			nla &= 0xffffffffull;
		if (((nla ^ la) & ~4095ull) != 0 ||
		    atomic_load_explicit(&cpu->kick, memory_order_relaxed))
			return (X86_OK);
		la = nla;
		prev = b;
		b = succ_find(prev, la & 4095);
		if (X86_UNLIKELY(b == NULL)) {
			gpa = (gpa & ~4095ull) | (la & 4095);
			key = gpa << 4 | csz;
			flushes = ic->flushes;
			b = ic_lookup(ic, key);
			if (b == NULL || b->gen != atomic_load_explicit(genp,
			    memory_order_acquire))
				b = ic_build(cpu, b, key, gpa, hpage, csz);
			if (b == NULL)
				return (X86_OK);
			/* a flush reused prev's slot: it may be another page */
			if (ic->flushes == flushes) {
				prev->succ[prev->succ_rr] = b;
				prev->succ_rr ^= 1;
			}
		} else if (X86_UNLIKELY(b->gen != atomic_load_explicit(genp,
		    memory_order_acquire))) {
			b = ic_build(cpu, b, b->key, b->key >> 4, hpage, csz);
			if (b == NULL)
				return (X86_OK);
		}
		if (cpu->rflags & X86_TF)
			return (X86_OK);
	}
}

/* An event injected from outside (vm_inject_exception and friends). */
static int
inject_intinfo(struct x86_cpu *cpu)
{
	uint64_t info = cpu->intinfo;
	int64_t err = -1;
	int vec = (int)VM_INTINFO_VECTOR(info);

	cpu->intinfo = 0;
	cpu->halted = 0;
	if (info & VM_INTINFO_DEL_ERRCODE)
		err = (int64_t)(info >> 32);
	if ((info & VM_INTINFO_TYPE) == VM_INTINFO_NMI)
		cpu->nmi_blocked = 1;
	return (x86_deliver(cpu, vec, err,
	    (info & VM_INTINFO_TYPE) == VM_INTINFO_SWINTR, cpu->rip));
}

/*
 * NMI, then maskable interrupts (SDM Vol 3 6.9 priorities), honouring
 * the STI / MOV SS shadow and NMI blocking until IRET.
 */
static int
check_events(struct x86_cpu *cpu)
{
	const struct x86_bus *bus = cpu->bus;
	int v;

	if (cpu->intr_shadow)
		return (X86_OK);
	if (atomic_load_explicit(&cpu->nmi_pending, memory_order_relaxed) &&
	    !cpu->nmi_blocked) {
		atomic_store(&cpu->nmi_pending, false);
		cpu->halted = 0;
		cpu->nmi_blocked = 1;
		return (x86_deliver(cpu, IDT_NMI, -1, false, cpu->rip));
	}
	if (!(cpu->rflags & X86_IF) || bus == NULL || bus->intr_pending == NULL)
		return (X86_OK);
	v = bus->intr_pending(cpu->bus_ctx, cpu->vcpuid);
	if (v < 0)
		return (X86_OK);
	cpu->halted = 0;
	if (bus->intr_accept != NULL)
		bus->intr_accept(cpu->bus_ctx, cpu->vcpuid, v);
	return (x86_deliver(cpu, v, -1, false, cpu->rip));
}

/* Single-step trap after an instruction run with TF set (Vol 3 17.3.1.4). */
static int
single_step_trap(struct x86_cpu *cpu)
{
	cpu->dr[6] |= 1u << 14;		/* BS */
	return (x86_deliver(cpu, IDT_DB, -1, false, cpu->rip));
}

/*
 * Instruction breakpoints (SDM Vol 3 17.2.4, 17.3.1.1): a fault before
 * the instruction at an enabled DRi with R/W = 00, unless RFLAGS.RF is
 * set.  Returns true when it delivered a #DB (rc in *rc).  Only called
 * while DR7 enables some breakpoint, so the common path pays one test.
 */
static bool
ibp_check(struct x86_cpu *cpu, int *rc)
{
	uint64_t la, dr7 = cpu->dr[7];
	uint32_t hit = 0;
	unsigned i;

	if (cpu->rflags & X86_RF)
		return (false);
	la = cpu->seg[X86_CS].base + cpu->rip;
	if (cpu->csz != 8)
		la &= 0xffffffffull;
	for (i = 0; i < 4; i++)
		if ((dr7 & (3u << (2 * i))) &&
		    ((dr7 >> (16 + 4 * i)) & 3) == 0 && cpu->dr[i] == la)
			hit |= 1u << i;
	if (hit == 0)
		return (false);
	cpu->dr[6] |= hit;
	*rc = x86_deliver(cpu, IDT_DB, -1, false, cpu->rip);
	return (true);
}

/* Some enabled DRi watches data (R/W 01 or 11; 10, I/O, is not done). */
static bool
dbg_data_armed(uint64_t dr7)
{
	unsigned i, rw;

	for (i = 0; i < 4; i++) {
		rw = (dr7 >> (16 + 4 * i)) & 3;
		if ((dr7 & (3u << (2 * i))) && (rw == 1 || rw == 3))
			return (true);
	}
	return (false);
}

static int
exit_with(struct x86_cpu *cpu, enum vm_exitcode code)
{
	cpu->exit->exitcode = code;
	cpu->exit->rip = cpu->rip;
	cpu->exit->inst_length = 0;
	if (code == VM_EXITCODE_HLT) {
		cpu->exit->u.hlt.rflags = x86_get_flags(cpu);
		cpu->exit->u.hlt.intr_status = 0;
	}
	return (0);
}

int
x86_run(struct x86_cpu *cpu, struct vm_exit *exit)
{
	uint64_t icount0 = cpu->icount, retired, turns = 0;
	unsigned max;
	bool shadow, tf, rf;
	int rc;

	cpu->exit = exit;
	exit->exitcode = VM_EXITCODE_BOGUS;
	exit->inst_length = 0;
	if (cpu->replay.n != 0 && cpu->replay.rip != cpu->rip)
		cpu->replay.n = 0;	/* RIP moved: the log is stale */
	cpu->replay.pos = 0;
	if ((cpu->intinfo & VM_INTINFO_VALID) && cpu->replay.n == 0) {
		if (inject_intinfo(cpu) == X86_EXIT)
			return (0);
	}
	for (;;) {
		if (X86_UNLIKELY(atomic_load_explicit(&cpu->kick,
		    memory_order_relaxed) != 0)) {
			atomic_store(&cpu->kick, 0);
			return (exit_with(cpu, VM_EXITCODE_BOGUS));
		}
		max = X86_BLOCK_MAX;
		if (cpu->replay.n != 0) {
			max = 1;	/* finish the exited instruction */
		} else {
			if (check_events(cpu) == X86_EXIT)
				return (0);
			if (cpu->halted)
				return (exit_with(cpu, VM_EXITCODE_HLT));
		}
		/* a fault loop retires nothing: count loop turns too */
		if (cpu->run_budget != 0 &&
		    (cpu->icount - icount0 >= cpu->run_budget ||
		    ++turns >= cpu->run_budget))
			return (exit_with(cpu, VM_EXITCODE_BOGUS));
		shadow = cpu->intr_shadow != 0;
		tf = (cpu->rflags & X86_TF) != 0;
		if (X86_UNLIKELY(cpu->dr[7] & 0xff)) {
			/* one instruction at a time while breakpoints are on */
			max = 1;
			cpu->dbg_data = dbg_data_armed(cpu->dr[7]);
			cpu->dbg_hit = 0;
			x86_tlb_fast_sync(cpu);
			if (cpu->replay.n == 0 && ibp_check(cpu, &rc)) {
				if (rc == X86_EXIT)
					return (0);
				continue;
			}
		} else if (X86_UNLIKELY(cpu->dbg_data)) {
			cpu->dbg_data = 0;
			cpu->dbg_hit = 0;
			x86_tlb_fast_sync(cpu);
		}
		rf = (cpu->rflags & X86_RF) != 0;
		if (shadow || tf || rf)
			max = 1;
		cpu->replay.pos = 0;
		retired = cpu->icount;
		rc = run_block(cpu, max);
		if (rc == X86_EXIT)
			return (0);
		cpu->replay.n = 0;
		/* RF lasts for one completed instruction (17.3.1.1) */
		if (rf && cpu->icount != retired)
			cpu->rflags &= ~(uint64_t)X86_RF;
		if (shadow)
			cpu->intr_shadow = 0;
		if (X86_UNLIKELY(cpu->dbg_hit)) {
			/* data breakpoint: a trap after the instruction */
			if (cpu->icount != retired)
				cpu->dr[6] |= cpu->dbg_hit;
			cpu->dbg_hit = 0;
			if (cpu->icount != retired && !tf &&
			    x86_deliver(cpu, IDT_DB, -1, false, cpu->rip) ==
			    X86_EXIT)
				return (0);
		}
		if (tf && cpu->icount != retired &&
		    single_step_trap(cpu) == X86_EXIT)
			return (0);
	}
}

void
x86_invalidate_code(struct x86_machine *m, uint64_t gpa, uint64_t len)
{
	uint64_t p, end;

	if (m == NULL || m->code_gen == NULL || len == 0)
		return;
	end = (gpa + len - 1) >> 12;
	for (p = gpa >> 12; p <= end && p < m->npages; p++)
		if (atomic_load_explicit(&m->code_mark[p],
		    memory_order_relaxed))
			atomic_fetch_add_explicit(&m->code_gen[p], 1,
			    memory_order_release);
}

void
x86_complete_read(struct x86_cpu *cpu, uint64_t data)
{
	struct x86_replay *r = &cpu->replay;

	if (r->n == 0 || r->e[r->n - 1].write)
		return;
	r->e[r->n - 1].data = data;
}
