/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address translation for the software CPU: segmentation checks, paging
 * (SDM Vol 3 ch. 4), the soft TLB, MMIO with replay and port I/O.
 *
 * Design
 *  - Every data access is segment-checked (x86_seg_check: limits, rights,
 *    canonical form) into a linear address, then translated page by page.
 *  - The soft TLB is direct-mapped, TLB_N entries per (privilege, kind):
 *    kinds are read, write and execute; privilege is user (CPL 3 explicit
 *    access) or supervisor.  An entry exists only if that access is
 *    allowed, so a hit needs no permission check.  Entries hold the host
 *    pointer of the 4 KiB page (NULL: not RAM, i.e. MMIO) and its gpa.
 *    Large pages are cached as their 4 KiB pieces (tagged TLBF_LARGE so
 *    INVLPG can drop all pieces).
 *  - Write entries are installed only after a walk that set the dirty
 *    bit.  Supervisor data entries for user pages are not installed when
 *    SMAP is on (the check depends on RFLAGS.AC), so SMAP always walks.
 *  - Self-modifying code: a write entry for a page holding decoded code
 *    (mach->code_mark) carries TLBF_CODE, and a write through it bumps
 *    mach->code_gen[page].  When any vCPU marks a new page it bumps
 *    mach->tlb_epoch; every write lookup compares the epoch and drops all
 *    write entries when it moved.
 *  - Flushes follow hardware (SDM Vol 3 4.10.4): MOV CR3 drops non-global
 *    entries, INVLPG one page, CR0.PG/WP, CR4.PGE/PAE/PSE/SMEP/SMAP,
 *    EFER.NXE changes drop everything (x86_mmu_sync compares a snapshot,
 *    so register writes from the engine are covered too).
 *  - A/D bits are set with compare-and-swap on the host copy of the
 *    paging entry; the walk restarts if the entry changed underneath.
 *  - Non-RAM accesses go to bus->mmio through the replay log
 *    (struct x86_replay): every device access is logged, an access that
 *    needs userland exits, and the re-executed instruction consumes the
 *    log in order.  run.c resets replay.pos before running and the log
 *    when an instruction faults or a block ends; a log whose instruction
 *    retired inside a block is dropped here (cpu->replay_icount).  A
 *    full log completes further accesses as open bus (no livelock).
 *  - Linear accesses check the TLB inline; x86_vread/x86_vwrite inline
 *    the 64-bit case (no segmentation) and leave the rest to the slow
 *    path, which also does the #AC alignment check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86/mmu.h"
#include "vmm/x86/tlb.h"

#define PG_P		(1ull << 0)
#define PG_RW		(1ull << 1)
#define PG_US		(1ull << 2)
#define PG_A		(1ull << 5)
#define PG_D		(1ull << 6)
#define PG_PS		(1ull << 7)
#define PG_G		(1ull << 8)
#define PG_NX		(1ull << 63)

/* Page-fault error code (SDM Vol 3 4.7). */
#define PFEC_P		0x01
#define PFEC_W		0x02
#define PFEC_U		0x04
#define PFEC_RSVD	0x08
#define PFEC_I		0x10

static _Atomic uint64_t mmu_no_epoch;

/* Executing non-RAM reads open bus: FF FF is #UD (SDM Vol 2 FF /7). */
static const uint8_t mmu_ff_page[4096] = { [0 ... 4095] = 0xff };

#define CR0_TLB_BITS	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define CR4_TLB_BITS	(X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_LA57 | \
			 X86_CR4_PCIDE)
#define EFER_TLB_BITS	(X86_EFER_NXE | X86_EFER_LMA)

/* ---- TLB maintenance ---- */

int
x86_mmu_init(struct x86_cpu *cpu)
{
	struct x86_tlb *t;

	if (cpu->tlb != NULL)
		return (0);
	/* aligned_alloc wants a size that is a multiple of the alignment */
	t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (t == NULL)
		return (-ENOMEM);
	memset(t, 0, sizeof(*t));
	memset(t->e, 0xff, sizeof(t->e));
	t->epoch_src = cpu->mach != NULL ? &cpu->mach->tlb_epoch :
	    &mmu_no_epoch;
	t->epoch = atomic_load(t->epoch_src);
	cpu->tlb = t;
	x86_mmu_sync(cpu);
	x86_tlb_fast_sync(cpu);
	return (0);
}

void
x86_mmu_fini(struct x86_cpu *cpu)
{
	free(cpu->tlb);
	cpu->tlb = NULL;
	cpu->tlb_fast = NULL;
}

void
x86_tlb_flush(struct x86_cpu *cpu, bool global_too)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *e;
	size_t i, n;

	if (t == NULL)
		return;
	if (global_too || !(cpu->cr4 & X86_CR4_PGE)) {
		memset(t->e, 0xff, sizeof(t->e));
		t->has_large = false;
		return;
	}
	e = &t->e[0][0][0];
	n = sizeof(t->e) / sizeof(*e);
	for (i = 0; i < n; i++)
		if (!(e[i].flags & TLBF_GLOBAL))
			e[i].tag = TLB_INVALID;
}

/* INVLPG (SDM Vol 3 4.10.4.1): all entries for the page containing la. */
void
x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t la)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *e;
	uint64_t lpn = la >> 12;
	size_t i, n;
	int u, k;

	if (t == NULL)
		return;
	for (u = 0; u < 2; u++)
		for (k = 0; k < TLB_NKIND; k++) {
			e = &t->e[u][k][lpn & (TLB_N - 1)];
			if (e->tag == lpn)
				e->tag = TLB_INVALID;
		}
	if (!t->has_large)
		return;
	e = &t->e[0][0][0];
	n = sizeof(t->e) / sizeof(*e);
	for (i = 0; i < n; i++) {
		unsigned sh;

		if (e[i].tag == TLB_INVALID || !(e[i].flags & TLBF_LARGE))
			continue;
		sh = TLBF_SHIFT(e[i].flags) - 12;
		if ((e[i].tag >> sh) == (lpn >> sh))
			e[i].tag = TLB_INVALID;
	}
}

/* Drop write entries: some vCPU marked a new code page. */
static void
mmu_epoch_sync(struct x86_tlb *t, uint64_t now)
{
	unsigned i;

	for (i = 0; i < TLB_N; i++) {
		t->e[0][TLB_W][i].tag = TLB_INVALID;
		t->e[1][TLB_W][i].tag = TLB_INVALID;
	}
	t->epoch = now;
}

static inline void
mmu_epoch_check(struct x86_tlb *t)
{
	uint64_t now;

	now = atomic_load_explicit(t->epoch_src, memory_order_acquire);
	if (__builtin_expect(now != t->epoch, 0))
		mmu_epoch_sync(t, now);
}

void
x86_mmu_sync(struct x86_cpu *cpu)
{
	struct x86_tlb *t = cpu->tlb;

	if (t == NULL)
		return;
	if (((t->s_cr0 ^ cpu->cr0) & CR0_TLB_BITS) ||
	    ((t->s_cr4 ^ cpu->cr4) & CR4_TLB_BITS) ||
	    ((t->s_efer ^ cpu->efer) & EFER_TLB_BITS))
		x86_tlb_flush(cpu, true);
	else if (t->s_cr3 != cpu->cr3)
		x86_tlb_flush(cpu, false);
	if (t->pdpte_valid && t->pdpte_cr3 != cpu->cr3)
		t->pdpte_valid = false;
	t->s_cr0 = cpu->cr0;
	t->s_cr3 = cpu->cr3;
	t->s_cr4 = cpu->cr4;
	t->s_efer = cpu->efer;
}

void
x86_mark_code_page(struct x86_cpu *cpu, uint64_t gpa)
{
	struct x86_machine *m = cpu->mach;
	uint64_t gpn = gpa >> 12;

	if (m == NULL || m->code_mark == NULL || gpn >= m->npages)
		return;
	if (atomic_load_explicit(&m->code_mark[gpn], memory_order_relaxed))
		return;
	atomic_store(&m->code_mark[gpn], 1);
	atomic_fetch_add(&m->tlb_epoch, 1);
}

static bool
mmu_is_code(struct x86_cpu *cpu, uint64_t gpa)
{
	struct x86_machine *m = cpu->mach;
	uint64_t gpn = gpa >> 12;

	if (m == NULL || m->code_mark == NULL || gpn >= m->npages)
		return (false);
	return (atomic_load_explicit(&m->code_mark[gpn],
	    memory_order_relaxed) != 0);
}

/* After a write to a code page: drop its decoded copies everywhere. */
static void
mmu_code_written(struct x86_cpu *cpu, uint64_t gpa)
{
	struct x86_machine *m = cpu->mach;
	uint64_t gpn = gpa >> 12;

	if (m == NULL || m->code_gen == NULL || gpn >= m->npages)
		return;
	atomic_fetch_add_explicit(&m->code_gen[gpn], 1, memory_order_release);
	cpu->brk = 1;	/* maybe our own block: run.c looks */
}

/* ---- Physical memory ---- */

static uint64_t
mmu_pte_read(struct x86_cpu *cpu, uint64_t gpa, unsigned size, void **hp)
{
	uint8_t *page;

	*hp = NULL;
	page = cpu->bus->ram_page(cpu->bus_ctx, gpa & ~0xfffull, false);
	if (page == NULL)
		return (0);		/* tables outside RAM read not-present */
	*hp = page + (gpa & 0xfff);
	if (size == 4)
		return (__atomic_load_n((uint32_t *)*hp, __ATOMIC_ACQUIRE));
	return (__atomic_load_n((uint64_t *)*hp, __ATOMIC_ACQUIRE));
}

/* Set A/D bits; false if the entry changed (the walk must restart). */
static bool
mmu_pte_setbits(struct x86_cpu *cpu, uint64_t gpa, unsigned size,
    uint64_t old, uint64_t bits)
{
	uint8_t *page;

	if ((old & bits) == bits)
		return (true);
	page = cpu->bus->ram_page(cpu->bus_ctx, gpa & ~0xfffull, true);
	if (page == NULL)
		return (true);
	page += gpa & 0xfff;
	if (size == 4) {
		uint32_t o = (uint32_t)old;

		return (__atomic_compare_exchange_n((uint32_t *)page, &o,
		    o | (uint32_t)bits, false, __ATOMIC_ACQ_REL,
		    __ATOMIC_ACQUIRE));
	}
	return (__atomic_compare_exchange_n((uint64_t *)page, &old,
	    old | bits, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

int
x86_pread(struct x86_cpu *cpu, uint64_t gpa, unsigned size, void *dst)
{
	uint8_t *d = dst, *page;
	unsigned n;

	while (size > 0) {
		n = 4096 - (gpa & 0xfff);
		if (n > size)
			n = size;
		page = cpu->bus->ram_page(cpu->bus_ctx, gpa & ~0xfffull, false);
		if (page == NULL)
			memset(d, 0xff, n);
		else
			memcpy(d, page + (gpa & 0xfff), n);
		d += n;
		gpa += n;
		size -= n;
	}
	return (X86_OK);
}

int
x86_mmu_load_pdptes(struct x86_cpu *cpu, uint64_t cr3)
{
	/* Reserved: 63:MAXPHYADDR, 8:5, 2:1 (SDM Vol 3 4.4.1, Table 4-8). */
	const uint64_t rsvd = ~X86_PHYS_MASK | 0x1e6;
	uint64_t p[4];
	int i;

	if (x86_pread(cpu, cr3 & 0xffffffe0, sizeof(p), p) != X86_OK)
		return (x86_raise(cpu, IDT_GP, 0));
	for (i = 0; i < 4; i++)
		if ((p[i] & PG_P) && (p[i] & rsvd))
			return (x86_raise(cpu, IDT_GP, 0));
	if (cpu->tlb != NULL) {
		memcpy(cpu->tlb->pdpte, p, sizeof(p));
		cpu->tlb->pdpte_valid = true;
		cpu->tlb->pdpte_cr3 = cr3;
	}
	return (X86_OK);
}

static uint64_t
mmu_pdpte(struct x86_cpu *cpu, unsigned i)
{
	struct x86_tlb *t = cpu->tlb;
	uint64_t p[4];

	if (t != NULL && t->pdpte_valid)
		return (t->pdpte[i]);
	if (x86_pread(cpu, cpu->cr3 & 0xffffffe0, sizeof(p), p) != X86_OK)
		memset(p, 0, sizeof(p));
	if (t != NULL) {
		memcpy(t->pdpte, p, sizeof(p));
		t->pdpte_valid = true;
		t->pdpte_cr3 = cpu->cr3;
	}
	return (p[i]);
}

/* ---- Page walk (SDM Vol 3 4.3, 4.4, 4.5, 4.6) ---- */

struct walk {
	uint64_t	gpa;		/* 4 KiB page */
	uint64_t	ptes[5];	/* entries used, [level] */
	uint64_t	pte_gpa[5];
	int		top;		/* highest level used */
	int		leaf;		/* level of the leaf entry */
	unsigned	esize;		/* 4 or 8 */
	unsigned	shift;		/* page size log2 */
	bool		rw, us, nx, global;
};

static int
mmu_pf(struct x86_cpu *cpu, uint64_t la, uint32_t err)
{
	cpu->cr2 = la;
	return (x86_raise(cpu, IDT_PF, err));
}

/* 32-bit paging (SDM Vol 3 4.3). */
static int
mmu_walk32(struct x86_cpu *cpu, uint64_t la, struct walk *w, uint32_t *err)
{
	uint64_t a, e;
	void *hp;

	w->esize = 4;
	w->top = 2;
	a = (cpu->cr3 & 0xfffff000) + ((la >> 22) & 0x3ff) * 4;
	e = mmu_pte_read(cpu, a, 4, &hp);
	w->ptes[2] = e;
	w->pte_gpa[2] = a;
	if (!(e & PG_P))
		return (X86_FAULT);
	w->rw = e & PG_RW;
	w->us = e & PG_US;
	if ((e & PG_PS) && (cpu->cr4 & X86_CR4_PSE)) {
		/* 4 MiB page; PSE-36 bits 20:13 are address 39:32. */
		if (e & (1u << 21)) {
			*err |= PFEC_RSVD | PFEC_P;
			return (X86_FAULT);
		}
		w->leaf = 2;
		w->shift = 22;
		w->global = (e & PG_G) != 0;
		w->gpa = (e & 0xffc00000) | (((e >> 13) & 0xff) << 32) |
		    (la & 0x3ff000);
		return (X86_OK);
	}
	a = (e & 0xfffff000) + ((la >> 12) & 0x3ff) * 4;
	e = mmu_pte_read(cpu, a, 4, &hp);
	w->ptes[1] = e;
	w->pte_gpa[1] = a;
	if (!(e & PG_P))
		return (X86_FAULT);
	w->rw = w->rw && (e & PG_RW);
	w->us = w->us && (e & PG_US);
	w->leaf = 1;
	w->shift = 12;
	w->global = (e & PG_G) != 0;
	w->gpa = e & 0xfffff000;
	return (X86_OK);
}

static uint64_t
mmu_rsvd(struct x86_cpu *cpu, int level, uint64_t e, bool pae)
{
	uint64_t r;

	/* PAE: 62:M reserved; 4-level: 51:M (SDM Vol 3 Tables 4-11, 4-15+) */
	if (pae)
		r = (~X86_PHYS_MASK) & ~PG_NX;
	else
		r = (~X86_PHYS_MASK) & ((1ull << 52) - 1);
	if (!(cpu->efer & X86_EFER_NXE))
		r |= PG_NX;
	if (level == 4)
		r |= PG_PS;
	else if (level == 3 && (e & PG_PS))
		r |= 0x3fffe000;		/* 29:13 */
	else if (level == 2 && (e & PG_PS))
		r |= 0x1fe000;			/* 20:13 */
	return (r);
}

/* PAE (SDM Vol 3 4.4) and 4-level paging (4.5). */
static int
mmu_walk64(struct x86_cpu *cpu, uint64_t la, struct walk *w, uint32_t *err)
{
	bool pae = !x86_long_mode(cpu);
	uint64_t table, e, a;
	int level;
	void *hp;

	w->esize = 8;
	w->rw = w->us = true;
	w->nx = false;
	if (pae) {
		e = mmu_pdpte(cpu, (la >> 30) & 3);
		if (!(e & PG_P))
			return (X86_FAULT);
		table = e & X86_PHYS_MASK & ~0xfffull;
		level = 2;
	} else {
		table = cpu->cr3 & X86_PHYS_MASK & ~0xfffull;
		level = 4;
	}
	w->top = level;
	for (;; level--) {
		a = table + ((la >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
		e = mmu_pte_read(cpu, a, 8, &hp);
		w->ptes[level] = e;
		w->pte_gpa[level] = a;
		if (!(e & PG_P))
			return (X86_FAULT);
		if (e & mmu_rsvd(cpu, level, e, pae)) {
			*err |= PFEC_RSVD | PFEC_P;
			return (X86_FAULT);
		}
		w->rw = w->rw && (e & PG_RW);
		w->us = w->us && (e & PG_US);
		if (cpu->efer & X86_EFER_NXE)
			w->nx = w->nx || (e & PG_NX);
		if (level == 1 || (level <= 3 && (e & PG_PS)))
			break;
		table = e & X86_PHYS_MASK & ~0xfffull;
	}
	w->leaf = level;
	w->shift = 12 + 9 * (level - 1);
	w->global = (e & PG_G) != 0;
	w->gpa = (e & X86_PHYS_MASK & ~((1ull << w->shift) - 1)) |
	    (la & ((1ull << w->shift) - 1) & ~0xfffull);
	return (X86_OK);
}

/*
 * Translate la for one access kind.  user: CPL 3 explicit access.
 * Returns X86_OK with w filled, or X86_FAULT with #PF recorded.
 * *cacheable is false when the result depends on RFLAGS.AC (SMAP).
 */
static int
mmu_walk(struct x86_cpu *cpu, uint64_t la, int kind, bool user,
    struct walk *w, bool *cacheable)
{
	uint32_t err;
	uint64_t bits;
	bool upage;
	int rc, tries, l;

	err = (kind == TLB_W ? PFEC_W : 0) | (user ? PFEC_U : 0);
	if (kind == TLB_X && ((cpu->cr4 & X86_CR4_SMEP) ||
	    ((cpu->cr4 & X86_CR4_PAE) && (cpu->efer & X86_EFER_NXE))))
		err |= PFEC_I;
	for (tries = 0;; tries++) {
		memset(w, 0, sizeof(*w));
		if (cpu->cr4 & X86_CR4_PAE)
			rc = mmu_walk64(cpu, la, w, &err);
		else
			rc = mmu_walk32(cpu, la, w, &err);
		if (rc != X86_OK)
			return (mmu_pf(cpu, la, err));
		/* Access rights (SDM Vol 3 4.6.1). */
		upage = w->us;
		*cacheable = true;
		if (user) {
			if (!upage || (kind == TLB_W && !w->rw) ||
			    (kind == TLB_X && w->nx))
				return (mmu_pf(cpu, la, err | PFEC_P));
		} else {
			if (kind == TLB_W && !w->rw &&
			    (cpu->cr0 & X86_CR0_WP))
				return (mmu_pf(cpu, la, err | PFEC_P));
			if (kind == TLB_X && (w->nx ||
			    (upage && (cpu->cr4 & X86_CR4_SMEP))))
				return (mmu_pf(cpu, la, err | PFEC_P));
			if (kind != TLB_X && upage &&
			    (cpu->cr4 & X86_CR4_SMAP)) {
				*cacheable = false;
				if (cpu->cpl == 3 || !(cpu->rflags & X86_AC))
					return (mmu_pf(cpu, la,
					    err | PFEC_P));
			}
		}
		/* Accessed and dirty bits (SDM Vol 3 4.8), top down. */
		for (l = w->top; l >= w->leaf; l--) {
			bits = PG_A;
			if (l == w->leaf && kind == TLB_W)
				bits |= PG_D;
			if (!mmu_pte_setbits(cpu, w->pte_gpa[l], w->esize,
			    w->ptes[l], bits))
				break;
		}
		if (l < w->leaf || tries >= 8)
			break;
	}
	if (!(cpu->cr4 & X86_CR4_PGE))
		w->global = false;
	return (X86_OK);
}

/* ---- Translation with the TLB ---- */

static inline int
mmu_kind(int acc)
{
	if (acc & X86_ACC_X)
		return (TLB_X);
	if (acc & X86_ACC_W)
		return (TLB_W);
	return (TLB_R);
}

static inline int
mmu_user(const struct x86_cpu *cpu, int acc)
{
	return (cpu->cpl == 3 && !(acc & X86_ACC_SUPER));
}

static int
mmu_xlate(struct x86_cpu *cpu, uint64_t la, int acc, struct tlb_ent *out)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *e;
	struct walk w;
	uint64_t lpn = la >> 12;
	int kind = mmu_kind(acc), user = mmu_user(cpu, acc), rc;
	bool cacheable = true;

	if (t != NULL) {
		if (kind == TLB_W)
			mmu_epoch_check(t);
		e = &t->e[user][kind][lpn & (TLB_N - 1)];
		if (e->tag == lpn) {
			*out = *e;
			return (X86_OK);
		}
	}
	if (cpu->cr0 & X86_CR0_PG) {
		rc = mmu_walk(cpu, la, kind, user, &w, &cacheable);
		if (rc != X86_OK)
			return (rc);
		out->gpa = w.gpa;
		out->flags = (w.global ? TLBF_GLOBAL : 0);
		if (w.shift > 12)
			out->flags |= TLBF_LARGE | (w.shift << 8);
	} else {
		out->gpa = la & 0xfffff000;
		out->flags = 0;
	}
	out->tag = lpn;
	out->host = cpu->bus->ram_page(cpu->bus_ctx, out->gpa, kind == TLB_W);
	if (out->host == NULL)
		out->flags |= TLBF_MMIO;
	else if (kind == TLB_W && mmu_is_code(cpu, out->gpa))
		out->flags |= TLBF_CODE;
	/* only canonical tags: tlb.h's fast path relies on it */
	if (t != NULL && cacheable && x86_canonical(la)) {
		t->e[user][kind][lpn & (TLB_N - 1)] = *out;
		if (out->flags & TLBF_LARGE)
			t->has_large = true;
	}
	return (X86_OK);
}

/* ---- MMIO with replay ---- */

static void
mmu_exit_mmio(struct x86_cpu *cpu, uint64_t gpa, unsigned size, bool write,
    uint64_t val)
{
	struct vm_exit *vx = cpu->exit;

	if (vx == NULL)
		return;
	memset(&vx->u.mmio, 0, sizeof(vx->u.mmio));
	vx->exitcode = VM_EXITCODE_MMIO;
	vx->u.mmio.gpa = gpa;
	vx->u.mmio.bytes = (uint8_t)size;
	vx->u.mmio.read = !write;
	vx->u.mmio.data = write ? val : 0;
}

/*
 * Serve access number replay.pos from the log.  1: served, 0: not in
 * the log (the log is cut there: the instruction took another path).
 */
static int
mmu_replay(struct x86_cpu *cpu, uint64_t addr, unsigned size, bool pio,
    bool write, uint64_t *val)
{
	struct x86_replay *r = &cpu->replay;

	cpu->brk = 1;	/* run.c drops the log once the insn retires */
	if (r->pos >= r->n)
		return (0);
	if (r->e[r->pos].addr != addr || r->e[r->pos].size != size ||
	    r->e[r->pos].is_pio != pio || r->e[r->pos].write != write) {
		r->n = r->pos;
		return (0);
	}
	if (!write)
		*val = r->e[r->pos].data;
	r->pos++;
	return (1);
}

/* Log a device access; false if the log is full. */
static bool
mmu_log(struct x86_cpu *cpu, uint64_t addr, unsigned size, bool pio,
    bool write, uint64_t val)
{
	struct x86_replay *r = &cpu->replay;

	if (r->n >= X86_REPLAY_MAX)
		return (false);
	cpu->brk = 1;
	r->e[r->n].addr = addr;
	r->e[r->n].size = (uint8_t)size;
	r->e[r->n].is_pio = pio;
	r->e[r->n].write = write;
	r->e[r->n].data = val;
	r->n++;
	r->pos = r->n;
	return (true);
}

static int
mmu_mmio1(struct x86_cpu *cpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	int rc;

	if (mmu_replay(cpu, gpa, size, false, write, val))
		return (X86_OK);
	if (cpu->replay.n >= X86_REPLAY_MAX) {
		/* Cannot be replayed: open bus rather than a livelock. */
		if (!write)
			*val = ~0ull;
		return (X86_OK);
	}
	rc = cpu->bus->mmio == NULL ? -1 :
	    cpu->bus->mmio(cpu->bus_ctx, cpu->vcpuid, gpa, size, write, val);
	if (rc == X86_EXIT) {
		(void)mmu_log(cpu, gpa, size, false, write, write ? *val : 0);
		mmu_exit_mmio(cpu, gpa, size, write, *val);
		return (X86_EXIT);
	}
	if (rc != X86_OK && !write)
		*val = ~0ull;
	(void)mmu_log(cpu, gpa, size, false, write, *val);
	return (X86_OK);
}

/* MMIO of any length: naturally sized pieces of at most 8 bytes. */
static int
mmu_mmio(struct x86_cpu *cpu, uint64_t gpa, unsigned size, uint8_t *buf,
    bool write)
{
	uint64_t v;
	unsigned n;
	int rc;

	while (size > 0) {
		n = size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
		v = 0;
		if (write)
			memcpy(&v, buf, n);
		rc = mmu_mmio1(cpu, gpa, n, write, &v);
		if (rc != X86_OK)
			return (rc);
		if (!write)
			memcpy(buf, &v, n);
		buf += n;
		gpa += n;
		size -= n;
	}
	return (X86_OK);
}

/* ---- Linear accesses ---- */

static inline void
mmu_copy(void *dst, const void *src, unsigned size)
{
	switch (size) {
	case 1:
		memcpy(dst, src, 1);
		break;
	case 2:
		memcpy(dst, src, 2);
		break;
	case 4:
		memcpy(dst, src, 4);
		break;
	case 8:
		memcpy(dst, src, 8);
		break;
	default:
		memcpy(dst, src, size);
		break;
	}
}

static int
mmu_access(struct x86_cpu *cpu, const struct tlb_ent *e, unsigned off,
    unsigned n, uint8_t *buf, bool write)
{
	if (e->host == NULL)
		return (mmu_mmio(cpu, e->gpa + off, n, buf, write));
	if (!write) {
		mmu_copy(buf, e->host + off, n);
		return (X86_OK);
	}
	mmu_copy(e->host + off, buf, n);
	if (e->flags & TLBF_CODE)
		mmu_code_written(cpu, e->gpa);
	return (X86_OK);
}

/*
 * Data breakpoints (SDM Vol 3 17.2.4, 17.2.5): an enabled DRi with R/W
 * 01 (writes) or 11 (reads and writes) whose LEN-aligned range overlaps
 * [la, la + size) is recorded in cpu->dbg_hit; run.c raises the #DB
 * trap once the instruction has completed.
 */
static void
mmu_dbg_data(struct x86_cpu *cpu, uint64_t la, unsigned size, bool write)
{
	static const uint64_t lens[4] = { 1, 2, 8, 4 };
	uint64_t dr7 = cpu->dr[7], len, a;
	unsigned i, rw;

	for (i = 0; i < 4; i++) {
		rw = (dr7 >> (16 + 4 * i)) & 3;
		if (!(dr7 & (3u << (2 * i))) || (rw != 1 && rw != 3) ||
		    (rw == 1 && !write))
			continue;
		len = lens[(dr7 >> (18 + 4 * i)) & 3];
		a = cpu->dr[i] & ~(len - 1);
		if (la < a + len && a < la + size)
			cpu->dbg_hit |= (uint8_t)(1u << i);
	}
}

/*
 * General path: translate every page first (so that a fault on the
 * second page of a split access leaves memory untouched), then copy.
 */
static int
mmu_slow(struct x86_cpu *cpu, uint64_t la, unsigned size, uint8_t *buf,
    int acc, bool write)
{
	struct tlb_ent e0, e1;
	unsigned first;
	uint64_t la2;
	int rc;

	if (size > 4096)
		return (x86_raise(cpu, IDT_GP, 0));
	first = 4096 - (la & 0xfff);
	if (first > size)
		first = size;
	rc = mmu_xlate(cpu, la, acc, &e0);
	if (rc != X86_OK)
		return (rc);
	if (first < size) {
		la2 = la + first;
		if (!x86_long_mode(cpu))
			la2 &= 0xffffffff;
		rc = mmu_xlate(cpu, la2, acc, &e1);
		if (rc != X86_OK)
			return (rc);
	}
	if (cpu->dbg_data)
		mmu_dbg_data(cpu, la, size, write);
	rc = mmu_access(cpu, &e0, la & 0xfff, first, buf, write);
	if (rc != X86_OK || first == size)
		return (rc);
	return (mmu_access(cpu, &e1, 0, size - first, buf + first, write));
}

int
x86_lread(struct x86_cpu *cpu, uint64_t la, unsigned size, void *dst, int acc)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *e;
	uint64_t lpn = la >> 12;

	if (acc & X86_ACC_W)
		acc &= ~X86_ACC_W;
	if (__builtin_expect(t != NULL && (la & 0xfff) + size <= 4096 &&
	    !cpu->dbg_data, 1)) {
		e = &t->e[mmu_user(cpu, acc)][mmu_kind(acc)][lpn & (TLB_N - 1)];
		if (e->tag == lpn && e->host != NULL) {
			mmu_copy(dst, e->host + (la & 0xfff), size);
			return (X86_OK);
		}
	}
	return (mmu_slow(cpu, la, size, dst, acc, false));
}

int
x86_lwrite(struct x86_cpu *cpu, uint64_t la, unsigned size, const void *src,
    int acc)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *e;
	uint64_t lpn = la >> 12;

	acc = (acc & ~(X86_ACC_R | X86_ACC_X)) | X86_ACC_W;
	if (__builtin_expect(t != NULL && (la & 0xfff) + size <= 4096 &&
	    !cpu->dbg_data, 1)) {
		mmu_epoch_check(t);
		e = &t->e[mmu_user(cpu, acc)][TLB_W][lpn & (TLB_N - 1)];
		if (e->tag == lpn && !(e->flags & TLBF_SLOW)) {
			mmu_copy(e->host + (la & 0xfff), src, size);
			return (X86_OK);
		}
	}
	return (mmu_slow(cpu, la, size, (uint8_t *)(uintptr_t)src, acc,
	    true));
}

/* ---- Segmentation (SDM Vol 3 3.4.5, 5.3, 5.4; 3.4.4 for 64-bit) ---- */

int
x86_seg_check_cache(struct x86_cpu *cpu, const struct x86_seg *s, bool stack,
    uint64_t off, unsigned size, int acc, uint64_t *la)
{
	int vec = stack ? IDT_SS : IDT_GP;
	uint64_t last = off + size - 1, upper;
	uint32_t type;

	if (cpu->mode == CPU_MODE_REAL || (cpu->rflags & X86_VM)) {
		if (last > s->limit)
			return (x86_raise(cpu, vec, 0));
		*la = (s->base + off) & 0xffffffff;
		return (X86_OK);
	}
	if (s->access & X86_AR_UNUSABLE)
		return (x86_raise(cpu, vec, 0));
	type = s->access & X86_AR_TYPE;
	if (type & X86_AR_CODE) {
		if ((acc & X86_ACC_W) ||
		    ((acc & X86_ACC_R) && !(type & X86_AR_RW)))
			return (x86_raise(cpu, vec, 0));
	} else if ((acc & X86_ACC_W) && !(type & X86_AR_RW))
		return (x86_raise(cpu, vec, 0));
	if (!(type & X86_AR_CODE) && (type & X86_AR_DC)) {
		/* Expand-down: valid offsets limit+1 .. 0xffff(ffff). */
		upper = (s->access & X86_AR_DB) ? 0xffffffff : 0xffff;
		if (off <= s->limit || last > upper)
			return (x86_raise(cpu, vec, 0));
	} else if (last > s->limit)
		return (x86_raise(cpu, vec, 0));
	*la = (s->base + off) & 0xffffffff;
	return (X86_OK);
}

int
x86_seg_check(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    int acc, uint64_t *la)
{
	uint64_t a;

	if (__builtin_expect(cpu->mode == CPU_MODE_64BIT, 1)) {
		a = off;
		if (seg == X86_FS || seg == X86_GS)
			a += cpu->seg[seg].base;
		if (!x86_canonical(a) || !x86_canonical(a + size - 1))
			return (x86_raise(cpu, seg == X86_SS ? IDT_SS : IDT_GP,
			    0));
		*la = a;
		return (X86_OK);
	}
	if (seg < 0 || seg > X86_GS) {
		*la = off;
		return (X86_OK);
	}
	return (x86_seg_check_cache(cpu, &cpu->seg[seg], seg == X86_SS, off,
	    size, acc, la));
}

/* Alignment check (SDM Vol 3 6.15, #AC): CPL 3 with CR0.AM and AC. */
static int
mmu_ac_check(struct x86_cpu *cpu, uint64_t la, unsigned size)
{
	unsigned align;

	if (cpu->cpl != 3 || !(cpu->cr0 & X86_CR0_AM) ||
	    !(cpu->rflags & X86_AC) || size < 2)
		return (X86_OK);
	align = size >= 16 ? 16 : size >= 8 ? 8 : size >= 4 ? 4 : 2;
	if (la & (align - 1))
		return (x86_raise(cpu, IDT_AC, 0));
	return (X86_OK);
}

static int __attribute__((noinline))
mmu_vaccess_slow(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    void *buf, bool write)
{
	uint64_t la;
	int rc;

	rc = x86_seg_check(cpu, seg, off, size, write ? X86_ACC_W : X86_ACC_R,
	    &la);
	if (rc == X86_OK)
		rc = mmu_ac_check(cpu, la, size);
	if (rc != X86_OK)
		return (rc);
	if (write)
		return (x86_lwrite(cpu, la, size, buf, X86_ACC_W));
	return (x86_lread(cpu, la, size, buf, X86_ACC_R));
}

int
x86_vread(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size, void *dst)
{
	struct tlb_ent *e;
	uint64_t la;

	e = x86_tlb_hit64(cpu, seg, off, size, TLB_R, &la);
	if (__builtin_expect(e != NULL && e->host != NULL, 1)) {
		mmu_copy(dst, e->host + (la & 0xfff), size);
		return (X86_OK);
	}
	return (mmu_vaccess_slow(cpu, seg, off, size, dst, false));
}

/* Read with write intent: the read of a read-modify-write operand. */
int
x86_vread_w(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    void *dst)
{
	struct tlb_ent *e;
	uint64_t la;
	int rc;

	e = x86_tlb_hit64(cpu, seg, off, size, TLB_W, &la);
	if (__builtin_expect(e != NULL && e->host != NULL, 1)) {
		mmu_copy(dst, e->host + (la & 0xfff), size);
		return (X86_OK);
	}
	rc = x86_seg_check(cpu, seg, off, size, X86_ACC_R | X86_ACC_W, &la);
	if (rc == X86_OK)
		rc = mmu_ac_check(cpu, la, size);
	if (rc != X86_OK)
		return (rc);
	return (mmu_slow(cpu, la, size, dst, X86_ACC_W, false));
}

int
x86_vwrite(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    const void *src)
{
	struct tlb_ent *e;
	uint64_t la;

	if (cpu->tlb != NULL)
		mmu_epoch_check(cpu->tlb);
	e = x86_tlb_hit64(cpu, seg, off, size, TLB_W, &la);
	if (__builtin_expect(e != NULL && !(e->flags & TLBF_SLOW), 1)) {
		mmu_copy(e->host + (la & 0xfff), src, size);
		return (X86_OK);
	}
	return (mmu_vaccess_slow(cpu, seg, off, size, (void *)(uintptr_t)src,
	    true));
}

int
x86_lptr(struct x86_cpu *cpu, uint64_t la, unsigned size, int acc, void **hp)
{
	struct tlb_ent e;
	int rc;

	*hp = NULL;
	if ((la & 0xfff) + size > 4096) {
		/* No pointer, but the faults of both pages, touching nothing. */
		rc = mmu_xlate(cpu, la, acc, &e);
		if (rc != X86_OK)
			return (rc);
		la = (la | 0xfff) + 1;
		if (!x86_long_mode(cpu))
			la &= 0xffffffff;
		return (mmu_xlate(cpu, la, acc, &e));
	}
	rc = mmu_xlate(cpu, la, acc, &e);
	if (rc != X86_OK)
		return (rc);
	if (cpu->dbg_data)
		mmu_dbg_data(cpu, la, size, (acc & X86_ACC_W) != 0);
	if (e.host == NULL)
		return (X86_OK);
	/*
	 * In-place write to a code page: invalidate now; the caller writes
	 * right after, before the run loop looks at the generation again.
	 */
	if (e.flags & TLBF_CODE)
		mmu_code_written(cpu, e.gpa);
	*hp = e.host + (la & 0xfff);
	return (X86_OK);
}

int
x86_vptr(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size, int acc,
    void **hp)
{
	uint64_t la;
	int rc;

	*hp = NULL;
	rc = x86_seg_check(cpu, seg, off, size, acc, &la);
	if (rc == X86_OK)
		rc = mmu_ac_check(cpu, la, size);
	if (rc != X86_OK)
		return (rc);
	return (x86_lptr(cpu, la, size, acc, hp));
}

static int __attribute__((noinline))
mmu_code_page_slow(struct x86_cpu *cpu, uint64_t la, const uint8_t **hpage,
    uint64_t *gpa)
{
	struct tlb_ent e;
	int rc;

	if (x86_long_mode(cpu) && !x86_canonical(la))
		return (x86_raise(cpu, IDT_GP, 0));
	rc = mmu_xlate(cpu, la, X86_ACC_X, &e);
	if (rc != X86_OK)
		return (rc);
	*hpage = e.host != NULL ? e.host : mmu_ff_page;
	*gpa = e.gpa;
	return (X86_OK);
}

int
x86_code_page(struct x86_cpu *cpu, uint64_t la, const uint8_t **hpage,
    uint64_t *gpa)
{
	struct x86_tlb *t = cpu->tlb;
	struct tlb_ent *te;
	uint64_t lpn = la >> 12;

	if (__builtin_expect(t != NULL, 1)) {
		te = &t->e[cpu->cpl == 3][TLB_X][lpn & (TLB_N - 1)];
		if (__builtin_expect(te->tag == lpn && te->host != NULL, 1)) {
			*hpage = te->host;
			*gpa = te->gpa;
			return (X86_OK);
		}
	}
	return (mmu_code_page_slow(cpu, la, hpage, gpa));
}

/* ---- Port I/O (SDM Vol 1 19.5) ---- */

/* The TSS I/O permission bitmap allows port..port+size-1 (19.5.2). */
static int
mmu_io_bitmap(struct x86_cpu *cpu, uint16_t port, unsigned size)
{
	const struct x86_seg *tr = &cpu->seg[X86_TR];
	uint32_t type = tr->access & X86_AR_TYPE;
	uint16_t base, bits;
	uint32_t off;

	if ((tr->access & X86_AR_UNUSABLE) ||
	    (type != X86_SYS_TSS && type != X86_SYS_TSSB) || tr->limit < 0x67)
		return (x86_raise(cpu, IDT_GP, 0));
	if (x86_lread(cpu, tr->base + 0x66, 2, &base, X86_ACC_SUPER) !=
	    X86_OK)
		return (X86_FAULT);
	off = (uint32_t)base + port / 8;
	if (off + 1 > tr->limit)
		return (x86_raise(cpu, IDT_GP, 0));
	if (x86_lread(cpu, tr->base + off, 2, &bits, X86_ACC_SUPER) != X86_OK)
		return (X86_FAULT);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

int
x86_io(struct x86_cpu *cpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	struct vm_exit *vx = cpu->exit;
	uint64_t v = in ? 0 : *val;
	unsigned iopl = (cpu->rflags & X86_IOPL) >> 12;
	int rc;

	if (cpu->mode != CPU_MODE_REAL &&
	    (cpu->cpl > iopl || (cpu->rflags & X86_VM))) {
		rc = mmu_io_bitmap(cpu, port, size);
		if (rc != X86_OK)
			return (rc);
	}
	if (mmu_replay(cpu, port, size, true, !in, &v)) {
		if (in)
			*val = (uint32_t)v;
		return (X86_OK);
	}
	if (cpu->replay.n >= X86_REPLAY_MAX) {
		if (in)
			*val = 0xffffffff;
		return (X86_OK);
	}
	rc = cpu->bus->pio == NULL ? -1 :
	    cpu->bus->pio(cpu->bus_ctx, cpu->vcpuid, port, size, in, val);
	if (rc == X86_EXIT) {
		(void)mmu_log(cpu, port, size, true, !in, in ? 0 : *val);
		if (vx != NULL) {
			memset(&vx->u.inout, 0, sizeof(vx->u.inout));
			vx->exitcode = VM_EXITCODE_INOUT;
			vx->u.inout.bytes = size;
			vx->u.inout.in = in;
			vx->u.inout.port = port;
			vx->u.inout.eax = in ? 0 : *val;
		}
		return (X86_EXIT);
	}
	if (rc != X86_OK && in)
		*val = 0xffffffff;
	(void)mmu_log(cpu, port, size, true, !in, *val);
	return (X86_OK);
}
