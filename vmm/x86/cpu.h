/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software x86-64 CPU: architectural state and the contracts between
 * its parts.  Ownership (one owner per file, see each section):
 *
 *   run.c decode.c ops.c alu.c ...   the core: decoder, decode cache, run
 *                                    loop, lazy flags, integer handlers
 *   mmu.c seg.c except.c system.c    system architecture: address
 *   msr.c cpuid.c                    translation, soft TLB, segmentation,
 *                                    exceptions/interrupts, CR/MSR/CPUID
 *   fpu.c sse.c                      x87/SSE (issue 6)
 *   vmm/x86/x86_vmm.c                the engine's backend glue (vmm_ops)
 *
 * Conventions (shared/STYLE.md 8): a handler that faults records the
 * exception with x86_raise() and returns X86_FAULT; it must not have
 * changed architectural state visible after the fault (x86 faults are
 * restartable: do every memory access before committing registers).
 * The run loop rewinds RIP and delivers.  The same rule makes exits to
 * userland for port and MMIO accesses restartable: see struct x86_replay.
 *
 * Run-loop contract (run.c): when a handler is called, cpu->rip already
 * holds the address of the NEXT instruction (wrapped to the code size);
 * the instruction's own address is cpu->rip - in->len.  Branch handlers
 * simply overwrite cpu->rip.  On X86_FAULT the loop restores RIP to the
 * instruction and calls x86_deliver(); on X86_EXIT it restores RIP too
 * (the instruction re-executes with the replay log), unless the handler
 * set cpu->exit_retired = 1 (the instruction is complete, e.g. PAUSE,
 * an RDMSR/WRMSR that userland finishes, ...): RIP then stays past it.
 * HLT: the handler sets cpu->halted = 1 and returns X86_OK; the loop
 * exits with VM_EXITCODE_HLT when no interrupt is pending.  Handlers
 * that change mode, IF, CS, paging or RIP end the decoded block (decode.c
 * marks every sysinsn.h handler so).  x86_run() fills exit->rip and
 * exit->inst_length (address and length of the exiting instruction).
 */
#ifndef _VMM_X86_CPU_H_
#define _VMM_X86_CPU_H_

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

#define X86_WUR	__attribute__((warn_unused_result))

/* Result of every step that can fail. */
enum {
	X86_OK = 0,
	X86_FAULT = 1,	/* exception recorded in cpu->exc */
	X86_EXIT = 2,	/* must leave x86_run(); cpu->exit filled in */
};

/* General registers, in instruction-encoding order. */
enum {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Segment registers, in instruction-encoding order, then system ones. */
enum {
	X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR,
	X86_NSEG,
	X86_SEG_NONE = 0xff,
};

/* RFLAGS bits (SDM Vol 1 3.4.3). */
#define X86_CF		(1u << 0)
#define X86_RF1		(1u << 1)	/* reserved, always 1 */
#define X86_PF		(1u << 2)
#define X86_AF		(1u << 4)
#define X86_ZF		(1u << 6)
#define X86_SF		(1u << 7)
#define X86_TF		(1u << 8)
#define X86_IF		(1u << 9)
#define X86_DF		(1u << 10)
#define X86_OF		(1u << 11)
#define X86_IOPL	(3u << 12)
#define X86_NT		(1u << 14)
#define X86_RF		(1u << 16)
#define X86_VM		(1u << 17)
#define X86_AC		(1u << 18)
#define X86_VIF		(1u << 19)
#define X86_VIP		(1u << 20)
#define X86_ID		(1u << 21)
#define X86_ARITH_FLAGS	(X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* Control register bits (SDM Vol 3 2.5). */
#define X86_CR0_PE	(1u << 0)
#define X86_CR0_MP	(1u << 1)
#define X86_CR0_EM	(1u << 2)
#define X86_CR0_TS	(1u << 3)
#define X86_CR0_ET	(1u << 4)
#define X86_CR0_NE	(1u << 5)
#define X86_CR0_WP	(1u << 16)
#define X86_CR0_AM	(1u << 18)
#define X86_CR0_NW	(1u << 29)
#define X86_CR0_CD	(1u << 30)
#define X86_CR0_PG	(1u << 31)
#define X86_CR4_VME	(1u << 0)
#define X86_CR4_PVI	(1u << 1)
#define X86_CR4_TSD	(1u << 2)
#define X86_CR4_DE	(1u << 3)
#define X86_CR4_PSE	(1u << 4)
#define X86_CR4_PAE	(1u << 5)
#define X86_CR4_MCE	(1u << 6)
#define X86_CR4_PGE	(1u << 7)
#define X86_CR4_PCE	(1u << 8)
#define X86_CR4_OSFXSR	(1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)
#define X86_CR4_UMIP	(1u << 11)
#define X86_CR4_LA57	(1u << 12)
#define X86_CR4_FSGSBASE (1u << 16)
#define X86_CR4_PCIDE	(1u << 17)
#define X86_CR4_OSXSAVE	(1u << 18)
#define X86_CR4_SMEP	(1u << 20)
#define X86_CR4_SMAP	(1u << 21)
#define X86_EFER_SCE	(1u << 0)
#define X86_EFER_LME	(1u << 8)
#define X86_EFER_LMA	(1u << 10)
#define X86_EFER_NXE	(1u << 11)

/* Segment register: descriptor cache in struct seg_desc's access layout. */
struct x86_seg {
	uint64_t	base;
	uint32_t	limit;		/* expanded byte limit */
	uint32_t	access;		/* VMX access rights; bit 16 unusable */
	uint16_t	sel;
};

struct x86_dtr {
	uint64_t	base;
	uint32_t	limit;
};

/*
 * What the engine provides to the CPU.  All callbacks may be called from
 * the vCPU's own thread only.
 */
struct x86_bus {
	/*
	 * Host address of the start of the 4 KiB guest-physical RAM page
	 * holding gpa, or NULL when gpa is not RAM (then MMIO applies).
	 * Read-only devmem (boot ROM) returns NULL for write.
	 */
	uint8_t	*(*ram_page)(void *ctx, uint64_t gpa, bool write);
	/*
	 * Port and MMIO accesses: X86_OK when an in-engine device completed
	 * it (val holds read data), X86_EXIT when userland must.
	 */
	int	(*mmio)(void *ctx, int vcpu, uint64_t gpa, unsigned size,
		    bool write, uint64_t *val);
	int	(*pio)(void *ctx, int vcpu, uint16_t port, unsigned size,
		    bool in, uint32_t *val);
	/*
	 * MSRs the CPU does not implement (x2APIC, APIC base side effects,
	 * unknown ones): X86_OK, X86_EXIT (userland decides), or -1 (#GP).
	 */
	int	(*rdmsr)(void *ctx, int vcpu, uint32_t msr, uint64_t *val);
	int	(*wrmsr)(void *ctx, int vcpu, uint32_t msr, uint64_t val);
	/*
	 * Interrupt controller: the vector of the highest-priority pending
	 * maskable interrupt for this vCPU, or -1.  intr_accept() is called
	 * once the CPU has taken it (IRR -> ISR).
	 */
	int	(*intr_pending)(void *ctx, int vcpu);
	void	(*intr_accept)(void *ctx, int vcpu, int vector);
	/* Guest TSC (invariant, from the host monotonic clock). */
	uint64_t (*tsc)(void *ctx, int vcpu);
	/*
	 * CR8 is the local APIC's TPR[7:4] (SDM Vol 3A 10.8.6.1): MOV to/
	 * from CR8 go here when set (NULL: cpu->cr8 holds it).
	 */
	uint64_t (*get_cr8)(void *ctx, int vcpu);
	void	(*set_cr8)(void *ctx, int vcpu, uint64_t cr8);
	/*
	 * FERR# (SDM Vol 1 8.7): a pending unmasked x87 exception met by a
	 * waiting instruction with CR0.NE = 0 (asserted), an x87
	 * instruction clearing it (deasserted; fpu.c x86_fp_pending()).  A
	 * PC routes it to IRQ13.  NULL: none.
	 */
	void	(*ferr)(void *ctx, int vcpu, bool asserted);
};

/*
 * Per-VM state shared by all vCPUs of the interpreter.  Writes to a
 * guest-physical page that holds decoded code bump its generation so that
 * every vCPU drops its decoded copy (self- and cross-modifying code).
 */
struct x86_machine {
	uint64_t		npages;		/* pages covered below */
	_Atomic uint32_t	*code_gen;	/* per 4 KiB gpa page */
	_Atomic uint8_t		*code_mark;	/* page holds decoded code */
	_Atomic uint64_t	tlb_epoch;	/* bumped when a page gets marked:
						   vCPUs drop write TLB entries */
	/* CPUID topology and features (cpuid.c) */
	uint16_t		sockets, cores, threads, maxcpus;
	bool			x2apic;
	bool			apic;		/* a local APIC: CPUID.1:EDX[9] */
	bool			tsc_deadline;	/* CPUID.1:ECX[24] */
	uint32_t		tsc_khz;	/* bus->tsc rate; 0: CPUID
						   0x15/0x16 not offered */
};

/*
 * Replay log for exits in the middle of an instruction.  A port or MMIO
 * access that must go to userland makes the instruction exit *before*
 * retiring; when userland has done the access, x86_run() re-executes the
 * same instruction and the i-th access is served from entry i of the log
 * (reads return the logged data, writes are not repeated).  The log is
 * cleared when an instruction retires.
 */
#define X86_REPLAY_MAX	8
struct x86_replay {
	uint8_t		n;		/* valid entries */
	uint8_t		pos;		/* next entry to match */
	uint64_t	rip;		/* instruction the log belongs to */
	struct {
		uint64_t addr;		/* port or gpa */
		uint64_t data;
		uint8_t	size;
		uint8_t	is_pio;
		uint8_t	write;
	} e[X86_REPLAY_MAX];
};

struct x86_cpu;
struct x86_insn;
typedef int (*x86_handler_t)(struct x86_cpu *, const struct x86_insn *);

/*
 * Decoded instruction (decode.c).  Handlers read operands through the
 * accessors in ops.h; fields are filled once per decode and cached.
 */
struct x86_insn {
	x86_handler_t	fn;
	uint64_t	imm;		/* immediate (sign-extended per opcode) */
	uint64_t	imm2;		/* second immediate (ENTER, far ptr sel) */
	int64_t		disp;
	uint8_t		len;		/* total length in bytes */
	uint8_t		map;		/* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
	uint8_t		opcode;
	uint8_t		opsize;		/* 1, 2, 4 or 8 */
	uint8_t		adsize;		/* 2, 4 or 8 */
	uint8_t		seg;		/* effective segment of the memory operand */
	uint8_t		rep;		/* 0, 0xf3 or 0xf2 (last of them) */
	uint8_t		lock;
	uint8_t		rex;		/* 0 if none */
	uint8_t		opsz_prefix;	/* 0x66 seen (SSE mandatory prefix) */
	uint8_t		modrm;
	uint8_t		mod, reg, rm;	/* reg/rm with REX extension */
	uint8_t		base, index;	/* X86_R*, X86_NOREG or X86_RIPREG */
	uint8_t		scale;		/* 0..3 */
	uint8_t		ripreal;	/* RIP-relative */
	uint8_t		has_modrm;
	uint8_t		flags;		/* decoder private */
	uint64_t	ea_mask;	/* address-size mask */
};

struct x86_tlb;
struct tlb_ent;
struct x86_icache;

struct x86_cpu {
	/*
	 * The register file, also seen as x86_ea's operand table: index 16
	 * reads as zero (no base or index), 17 is RIP (RIP-relative), so an
	 * effective address needs no tests (ops.h).
	 */
	union {
		uint64_t	ea_reg[18];
		struct {
			uint64_t	gpr[16];
			uint64_t	gpr_zero;	/* always 0 */
			uint64_t	rip;
		};
	};
	/*
	 * Architectural RFLAGS, except that the six arithmetic flags live
	 * in `lf` until x86_get_flags() materializes them (lazy flags).
	 */
	uint64_t	rflags;
	struct {
		uint64_t res, src1, src2;
		uint32_t op;		/* core-private operation code */
		uint8_t	size;
	} lf;
	/*
	 * Set inside an instruction for the run loop to look at once it
	 * retires: this vCPU wrote to a code page, or a device access was
	 * logged for replay (run.c block_break).
	 */
	uint32_t	brk;
	struct tlb_ent	*tlb_fast;	/* tlb.h x86_tlb_fast_sync */

	struct x86_seg	seg[X86_NSEG];
	struct x86_dtr	gdtr, idtr;
	uint64_t	cr0, cr2, cr3, cr4, cr8, efer, xcr0;
	uint64_t	dr[8];
	struct {
		uint64_t star, lstar, cstar, sfmask, kgsbase;
		uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
		uint64_t tsc_aux, pat, apic_base, misc_enable;
		uint64_t mtrr_def, mtrr_var[16], mtrr_fix[11];
		int64_t	 tsc_offset;
	} msr;

	/* Derived state; x86_update_mode() recomputes it. */
	uint8_t		cpl;
	uint8_t		mode;		/* enum vm_cpu_mode */
	uint8_t		paging;		/* enum vm_paging_mode */
	uint8_t		csz;		/* default operand/address size: 2,4,8 */
	uint8_t		ssz;		/* stack pointer size: 2,4,8 */

	/* Events. */
	struct {
		uint8_t	 valid;
		uint8_t	 vector;
		uint8_t	 has_err;
		uint32_t err;
	} exc;				/* recorded by x86_raise() */
	uint64_t	intinfo;	/* injected event (vm_inject_exception) */
	uint8_t		intr_shadow;	/* after MOV SS / STI */
	uint8_t		nmi_blocked;	/* until IRET */
	uint8_t		halted;
	_Atomic bool	nmi_pending;
	_Atomic uint32_t kick;		/* another thread wants our attention */

	/* x87/SSE state, FXSAVE layout; owned by fpu.c (issue 6). */
	alignas(64) uint8_t fxstate[512];

	struct x86_replay replay;
	struct x86_tlb	*tlb;		/* mmu.c */
	struct x86_icache *icache;	/* run.c */
	struct x86_machine *mach;
	const struct x86_bus *bus;
	void		*bus_ctx;
	int		vcpuid;
	struct vm_exit	*exit;		/* where x86_run() reports */
	uint8_t		exit_retired;	/* see the run-loop contract above */
	/*
	 * Data breakpoints (DR7 R/W = 01 or 11) armed: run.c sets it per
	 * turn; memory accesses then take mmu.c's slow path, which ORs
	 * the matching DR6 B0-B3 bits into dbg_hit for run.c to report as
	 * a #DB trap after the instruction (SDM Vol 3 17.2.4, 17.3.1.2).
	 */
	uint8_t		dbg_data;
	uint8_t		dbg_hit;
	uint8_t		pause_exit;	/* VM_CAP_PAUSE_EXIT: PAUSE exits */
	uint64_t	run_budget;	/* x86_run() returns BOGUS after this
					   many instructions; 0: unlimited */
	uint64_t	icount;		/* instructions retired */
};

/* ---- Lifecycle and running (run.c) ---- */
int	x86_machine_init(struct x86_machine *m, uint64_t guest_phys_top) X86_WUR;
void	x86_machine_fini(struct x86_machine *m);
int	x86_cpu_init(struct x86_cpu *cpu, struct x86_machine *m,
	    const struct x86_bus *bus, void *bus_ctx, int vcpuid) X86_WUR;
void	x86_cpu_fini(struct x86_cpu *cpu);
/* Power-on/INIT state (SDM Vol 3 9.1.1): real mode at F000:FFF0. */
void	x86_cpu_reset(struct x86_cpu *cpu);
/*
 * Run until something needs the engine: fills *exit and returns 0.
 * Exits: INOUT, MMIO, RDMSR/WRMSR, HLT, PAUSE, SUSPENDED (triple fault
 * with u.suspended.how = VM_SUSPEND_TRIPLEFAULT), BOGUS (kicked, or an
 * instruction budget ran out).
 */
int	x86_run(struct x86_cpu *cpu, struct vm_exit *exit);
/* Finish a userland-completed read (IN or MMIO read) before re-entry. */
void	x86_complete_read(struct x86_cpu *cpu, uint64_t data);
/*
 * Guest RAM was written from the host side (loader, device DMA through
 * vm_map_gpa): drop decoded copies of [gpa, gpa + len).  Call it before
 * or right after writing; guest writes go through mmu.c and need none.
 */
void	x86_invalidate_code(struct x86_machine *m, uint64_t gpa, uint64_t len);

/* ---- Flags (core) ---- */
uint64_t x86_get_flags(struct x86_cpu *cpu);	/* materialized RFLAGS */
void	x86_set_flags(struct x86_cpu *cpu, uint64_t rflags);

/* ---- Mode (system) ---- */
void	x86_update_mode(struct x86_cpu *cpu);

/* ---- Memory access (mmu.c) ----
 * Segment-relative accesses check the segment (limits, rights, canonical
 * form), translate through paging and the soft TLB, split page-crossing
 * accesses, and route non-RAM addresses to bus->mmio (with replay).
 */
#define X86_ACC_R	0x01
#define X86_ACC_W	0x02
#define X86_ACC_X	0x04
#define X86_ACC_SUPER	0x08	/* implicit supervisor access (GDT, IDT, TSS) */
int	x86_vread(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
	    void *dst) X86_WUR;
int	x86_vwrite(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
	    const void *src) X86_WUR;
/*
 * The read of a read-modify-write operand (ADD m,r; NOT m; XCHG...):
 * checks write access, so a #PF reports W=1 as hardware does (SDM Vol 3
 * 4.7), and primes the write TLB entry for the store that follows.
 */
int	x86_vread_w(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
	    void *dst) X86_WUR;
int	x86_lread(struct x86_cpu *cpu, uint64_t la, unsigned size, void *dst,
	    int acc) X86_WUR;
int	x86_lwrite(struct x86_cpu *cpu, uint64_t la, unsigned size,
	    const void *src, int acc) X86_WUR;
/*
 * Host pointer for an in-place (LOCK, XCHG) access of size bytes, or
 * *hp = NULL with X86_OK when the operand is not plain RAM within one
 * page (caller then falls back to read + write).  Either way every
 * page of the operand has been checked for `acc` (segment, paging: a
 * split operand faults on the right page with W=1 for X86_ACC_W), and
 * no memory was accessed.
 */
int	x86_vptr(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
	    int acc, void **hp) X86_WUR;
/*
 * Translate a linear code address for execution: host pointer to the
 * start of its page and the page's gpa.  X86_FAULT on #PF/#GP.
 */
int	x86_code_page(struct x86_cpu *cpu, uint64_t la, const uint8_t **hpage,
	    uint64_t *gpa) X86_WUR;
/* Guest physical accesses (page walks, descriptor tables after paging). */
int	x86_pread(struct x86_cpu *cpu, uint64_t gpa, unsigned size, void *dst)
	    X86_WUR;
/*
 * Soft TLB lifecycle: x86_cpu_init() calls x86_mmu_init() (0 or -ENOMEM),
 * x86_cpu_fini() calls x86_mmu_fini().  Without it the MMU still works,
 * uncached (mmu.c).
 */
int	x86_mmu_init(struct x86_cpu *cpu) X86_WUR;
void	x86_mmu_fini(struct x86_cpu *cpu);
void	x86_tlb_flush(struct x86_cpu *cpu, bool global_too);
void	x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t la);
/* A page got decoded code: called by run.c, see x86_machine. */
void	x86_mark_code_page(struct x86_cpu *cpu, uint64_t gpa);

/* ---- Port I/O with IOPL/bitmap checks and replay (mmu.c) ---- */
int	x86_io(struct x86_cpu *cpu, uint16_t port, unsigned size, bool in,
	    uint32_t *val) X86_WUR;

/* ---- Segments, exceptions, far transfers (seg.c, except.c) ---- */
int	x86_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel) X86_WUR;
/* Record exception `vector` (err < 0: none); always returns X86_FAULT. */
int	x86_raise(struct x86_cpu *cpu, int vector, int64_t err);
/*
 * Deliver cpu->exc (or an external event) through IVT/IDT, handling
 * #DF and triple fault (X86_EXIT with SUSPENDED).  `soft` marks INT n /
 * INT3 / INTO for privilege checks; next_rip is the return address.
 */
int	x86_deliver(struct x86_cpu *cpu, int vector, int64_t err, bool soft,
	    uint64_t next_rip) X86_WUR;
int	x86_far_jump(struct x86_cpu *cpu, uint16_t sel, uint64_t off,
	    unsigned opsize, bool call, uint64_t ret_rip) X86_WUR;
int	x86_far_return(struct x86_cpu *cpu, unsigned opsize, uint16_t pop)
	    X86_WUR;
int	x86_iret(struct x86_cpu *cpu, unsigned opsize) X86_WUR;

/* ---- MSR, CPUID (msr.c, cpuid.c) ---- */
int	x86_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *val) X86_WUR;
int	x86_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t val) X86_WUR;
void	x86_cpuid(struct x86_cpu *cpu, uint32_t leaf, uint32_t subleaf,
	    uint32_t out[4]);

#endif /* _VMM_X86_CPU_H_ */
