/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential tests of the software x86-64 CPU against the host CPU.
 * See difftest.c for the overview and how to run it.
 */
#ifndef _TESTS_DIFF_DIFFTEST_H_
#define _TESTS_DIFF_DIFFTEST_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Virtual layout shared by both sides, so that memory operands,
 * RIP-relative operands and pushed return addresses are identical.
 * Natively these are fixed mappings in the child; in our CPU they are
 * guest-physical RAM, identity mapped.
 */
#define DT_RUN_VA	0x200000ull	/* native: prologue, epilogue, state */
#define DT_CODE_VA	0x201000ull	/* the test code: two pages */
#define DT_CODE_SZ	8192
#define DT_CODE_MAX	200
#define DT_DATA_VA	0x210000ull	/* scratch data pages */
#define DT_DATA_SZ	8192	/* two pages: accesses may straddle */
#define DT_STACK_VA	0x220000ull	/* scratch stack page */
#define DT_STACK_SZ	4096
#define DT_STACK_TOP	(DT_STACK_VA + 0x800)	/* initial RSP */
/*
 * Everything else in [DT_HOLE_LO, DT_HOLE_HI) is unmapped on both sides
 * (our CPU maps that range with 4 KiB pages), so accesses there raise
 * #PF: e.g. DT_DATA_VA + DT_DATA_SZ, right after the data pages.
 */
#define DT_GS_BASE	0x10000ull	/* GS base on both sides */
#define DT_HOLE_LO	0x200000ull
#define DT_HOLE_HI	0x400000ull
/*
 * Also unmapped on both sides: the first 64 KiB (natively below
 * vm.mmap_min_addr or simply never mapped), where every 16-bit effective
 * address of 32-bit code with the 67 prefix lands: such accesses raise
 * #PF with the effective address in CR2.
 */
#define DT_LOW_HI	0x10000ull

/*
 * Case modes.  DT_MODE32: 32-bit code with flat segments.  Natively it
 * runs in compatibility mode (CS = __USER32_CS 0x23, DS = ES = SS = 0x2b,
 * reached by a far JMP from the 64-bit runner and left by one); our CPU
 * runs it at CPL 3 either in legacy protected mode with 32-bit paging or
 * in compatibility mode, the same selectors on both sides (emu.c).
 * Only the low 32 bits of RAX..RDI are compared (SDM Vol 1 3.4.1.1: the
 * upper halves are undefined in 32-bit modes); R8-R15 must be untouched.
 */
enum { DT_MODE64 = 0, DT_MODE32 = 1 };
#define DT_SEL_CODE32	0x23	/* Linux __USER32_CS */
#define DT_SEL_DATA32	0x2b	/* Linux __USER_DS */
#define DT_SEL_CODE64	0x33	/* Linux __USER_CS */

/* GPR numbers in encoding order. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15 };

/* RFLAGS bits. */
#define F_CF	0x0001u
#define F_PF	0x0004u
#define F_AF	0x0010u
#define F_ZF	0x0040u
#define F_SF	0x0080u
#define F_DF	0x0400u
#define F_OF	0x0800u
#define F_ARITH	(F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
/* What a test may set on entry and what is compared by default. */
#define F_TESTED (F_ARITH | F_DF)

struct dt_state {
	uint64_t	gpr[16];
	uint64_t	rflags;
};

/* A value stored into scratch memory after the random fill. */
struct dt_poke {
	uint64_t	addr;
	uint64_t	val;
	uint8_t		size;
};

#define DT_NPOKE	12
#define DT_DESC		48		/* description buffers */

struct dt_case {
	uint64_t	seed;		/* per-case seed; memory fill derives */
	uint32_t	index;
	uint8_t		mode;		/* DT_MODE64 or DT_MODE32 */
	uint8_t		memkind;	/* 0 random bytes, 1 mostly 0x5a */
	uint8_t		npoke;
	uint8_t		len;
	uint16_t	code_at;	/* offset of the code in its page */
	uint8_t		code[DT_CODE_MAX];
	struct dt_state	in;
	uint32_t	flag_mask;	/* RFLAGS bits compared */
	uint16_t	reg_mask;	/* GPRs compared */
	struct dt_poke	poke[DT_NPOKE];
	char		desc[DT_DESC];	/* mnemonic and form */
};

enum {
	DT_OK = 0,		/* ran to the end or took an exception */
	DT_NOTRUN,		/* native child died before this case */
	DT_HANG,		/* our CPU did not reach the end */
	DT_TRIPLE,		/* our CPU triple-faulted */
	DT_BADEXIT,		/* our CPU left x86_run for something else */
	DT_WRONGEND,		/* our CPU halted somewhere unexpected */
};

struct dt_result {
	int		status;
	int		vector;		/* exception vector, -1 none */
	uint64_t	fault_rip;	/* RIP pushed/reported for it */
	uint64_t	err;		/* its error code, if it has one */
	uint64_t	cr2;		/* #PF: the faulting address */
	char		note[96];
	struct dt_state	out;
	uint8_t		data[DT_DATA_SZ];
	uint8_t		stack[DT_STACK_SZ];
};

/* Random numbers (enc.c). */
struct dt_rng {
	uint64_t	s;
};
uint64_t	rng_next(struct dt_rng *r);
uint32_t	rng_below(struct dt_rng *r, uint32_t n);
uint64_t	rng_val(struct dt_rng *r, unsigned size);
uint64_t	rng_reg(struct dt_rng *r, unsigned size);
void		dt_fill_memory(const struct dt_case *c, uint8_t *data,
		    uint8_t *stack);

/*
 * Operands and the encoder (enc.c).
 */
#define DT_NOREG	(-1)
#define DT_RIPREL	16		/* base: RIP-relative */

struct dt_op {
	bool		mem;
	int		reg;		/* register operand: encoding 0..15 */
	int		base, index;	/* memory: DT_NOREG, 0..15, DT_RIPREL */
	int		scale;		/* 0..3 */
	int		dispsz;		/* 0, 1 or 4 */
	int64_t		disp;
	uint64_t	addr;		/* memory: linear address */
	uint64_t	ea;		/* memory: effective address */
};

struct dt_gen {
	struct dt_rng	r;
	struct dt_case	*c;
	uint16_t	used;		/* GPRs holding fixed values */
	bool		legacy8;	/* byte regs 4-7 are AH..BH: no REX */
	bool		addr32;		/* 67 prefix on the memory operand */
	bool		fault;		/* memory operands run into the hole */
	/* segment override on memory operands */
	uint8_t		segpfx;
	bool		seq;		/* sequence: address only via R14/R15 */
	/* 32-bit code: no REX, no 64-bit operands, 67: 16-bit addresses */
	bool		m32;
};

struct dt_insn {
	uint8_t		pfx[4];		/* legacy prefixes, in order */
	int		npfx;
	bool		rexw;
	bool		rex;		/* force a REX prefix */
	uint8_t		op[3];
	int		nop;
	int		reg;		/* ModRM.reg (0..15), DT_NOREG: none */
	const struct dt_op *rm;		/* NULL: no ModRM */
	int		immsz;		/* 0, 1, 2, 4 or 8 */
	uint64_t	imm;
	int		immsz2;		/* second immediate (ENTER) */
	uint64_t	imm2;
};

/* Operand sizes as masks: bit n allows size 1 << n. */
#define SZ_ALL		0xf
#define SZ_WIDE		0xe	/* 16, 32, 64 */
uint64_t smask(unsigned size);
int	imm_size(unsigned size);
unsigned pick_size(struct dt_gen *g, unsigned mask);
void	gen_begin(struct dt_gen *g, struct dt_case *c);
int	pick_reg(struct dt_gen *g, unsigned size);
int	reg_real(const struct dt_gen *g, int enc, unsigned size);
void	set_reg(struct dt_gen *g, int enc, unsigned size, uint64_t val);
uint64_t get_reg(const struct dt_gen *g, int enc, unsigned size);
void	pick_mem(struct dt_gen *g, struct dt_op *op, unsigned size,
	    unsigned align);
void	mem_at(struct dt_gen *g, struct dt_op *op, uint64_t addr);
void	pick_rm(struct dt_gen *g, struct dt_op *op, unsigned size, int pmem);
void	poke(struct dt_gen *g, uint64_t addr, unsigned size, uint64_t val);
void	emit(struct dt_gen *g, const struct dt_insn *in);
void	emit_bytes(struct dt_gen *g, const uint8_t *b, int n);
void	insn_init(struct dt_gen *g, struct dt_insn *in, unsigned size,
	    int nop, uint8_t op0, uint8_t op1);
void	emit_sized(struct dt_gen *g, unsigned size, uint8_t op8, uint8_t op,
	    int reg, const struct dt_op *rm, int immsz, uint64_t imm);
void	add_prefix(struct dt_insn *in, uint8_t p);
void	dcat(char *d, const char *s);
/* push imm (16-bit with 66 when `sixteen`) of flags image f, then POPF */
int	enc_popf_image(uint8_t *b, uint32_t f, bool sixteen);
/* CALL rel32 to a RET [imm16 pop] just past a short JMP over it */
int	enc_call_ret(uint8_t *b, uint16_t pop);
void	describe(struct dt_gen *g, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
uint64_t code_here(const struct dt_gen *g);

/* Families (gen_*.c). */
struct dt_family {
	const char	*name;
	void		(*gen)(struct dt_gen *g);
	bool		(*host_ok)(void);	/* NULL: always */
	bool		m32;		/* 32-bit code (DT_MODE32) */
};
/* NULL-terminated tables, one per generator file. */
extern const struct dt_family dt_alu_families[];
extern const struct dt_family dt_misc_families[];
extern const struct dt_family dt_mem_families[];
extern const struct dt_family dt_seq_families[];
extern const struct dt_family dt_fault_families[];
extern const struct dt_family dt_p32_families[];
const struct dt_family *dt_find_family(const char *name);

/* Host CPU features (gen_misc.c). */
bool	host_has_lzcnt(void);
bool	host_has_bmi1(void);
bool	host_has_popcnt(void);
bool	host_has_cx16(void);
bool	host_has_sse42(void);

/* The two sides. */
int	native_alloc(int n, struct dt_case **cases, struct dt_result **res);
int	native_run(struct dt_case *cases, struct dt_result *res, int n);
int	emu_init(void);
void	emu_run(const struct dt_case *c, struct dt_result *res);
void	emu_fini(void);
const char *emu_mode_name(const struct dt_case *c);

#endif /* _TESTS_DIFF_DIFFTEST_H_ */
