/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Instruction decoder (SDM Vol 2 ch. 2 and Appendix A).
 *
 * Decoding runs in stages: legacy prefixes and REX, opcode (one-byte,
 * 0F, 0F38, 0F3A maps), ModRM/SIB/displacement, immediates.  Each opcode
 * map is a table of {handler, shape flags}; group opcodes (Appendix A.4)
 * point to an 8-entry table indexed by ModRM.reg.  The result is a
 * self-contained struct x86_insn: run.c caches it per guest-physical code
 * page and calls in->fn without decoding again, so everything mode
 * dependent (operand/address size, default segment, #UD in 64-bit mode,
 * LOCK validity) is settled here once.
 *
 * Invalid encodings are not errors: they decode to x86_op_ud (or
 * x86_op_gp0 past 15 bytes), which raise when executed.  After decoding,
 * each family may swap in a handler specialized for the form (operand
 * size, register or memory operand, condition code): x86_*_fast().
 * MMX/SSE opcodes (0F map ranges, all of 0F38/0F3A) go to sse.c's
 * x86_op_sse, x87 escapes to fpu.c's x86_op_x87.
 */
#include "vmm/x86/decode.h"
#include "vmm/x86/fpu.h"
#include "vmm/x86/mmu.h"
#include "vmm/x86/ops.h"
#include "vmm/x86/sysinsn.h"

/* Tables start from a default range, then name the exceptions. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* Operand shape flags of a table entry. */
#define D_MODRM		0x00000001u	/* ModRM follows */
#define D_IB		0x00000002u	/* imm8, zero-extended */
#define D_IBS		0x00000004u	/* imm8, sign-extended (also rel8) */
#define D_IW		0x00000008u	/* imm16 */
#define D_IZ		0x00000010u	/* imm16/32 by opsize, sign-extended */
#define D_IV		0x00000020u	/* imm16/32/64 by opsize */
#define D_BYTE		0x00000040u	/* operand size 1 */
#define D_DEF64		0x00000080u	/* 64-bit mode: default opsize 64 */
#define D_F64		0x00000100u	/* 64-bit mode: opsize forced 64 */
#define D_INV64		0x00000200u	/* #UD in 64-bit mode */
#define D_LOCK		0x00000400u	/* LOCK allowed with memory dest */
#define D_END		0x00000800u	/* ends the decoded block */
#define D_MOFFS		0x00001000u	/* A0-A3 moffs */
#define D_FAR		0x00002000u	/* ptr16:16/32 */
#define D_ENTER		0x00004000u	/* iw, ib */
#define D_MEM		0x00008000u	/* #UD if ModRM.mod == 3 */
#define D_REG		0x00010000u	/* #UD if ModRM.mod != 3 */
#define D_MODREG	0x00020000u	/* ModRM mod ignored: register form */
#define D_STR		0x00040000u	/* string op: REP ends the block */
#define D_GRP		0x00080000u	/* entry's grp table decides */
#define D_ONLY64	0x00100000u	/* #UD outside 64-bit mode */
#define D_UD		0x00200000u	/* invalid */
#define D_CHAIN		0x00400000u	/* near branch without side effects on
					   mode, flags IF/TF or mappings */

struct x86_opinfo {
	x86_handler_t	fn;
	uint32_t	f;
	const struct x86_opinfo *grp;
};

#define UD	{ x86_op_ud, D_UD | D_END, NULL }
#define SYS(fn, fl)	{ fn, (fl) | D_END, NULL }
#define GRP(g, fl)	{ NULL, (fl) | D_MODRM | D_GRP, g }

/* Group 1: 80 81 82 83 (Table A-6). */
static const struct x86_opinfo grp1[8] = {
	[0 ... 6] = { x86_op_alu_EI, D_LOCK, NULL },
	[7] = { x86_op_alu_EI, 0, NULL },
};
/* Group 1A: 8F */
static const struct x86_opinfo grp1a[8] = {
	[0] = { x86_op_pop_E, D_DEF64, NULL },
	[1 ... 7] = UD,
};
/* Group 2: shifts; the count source comes from the opcode. */
static const struct x86_opinfo grp2[8] = {
	[0 ... 7] = { x86_op_grp2, 0, NULL },
};
/* Group 3: F6 F7 */
static const struct x86_opinfo grp3b[8] = {
	[0 ... 1] = { x86_op_test_EI, D_IB, NULL },
	[2] = { x86_op_not_E, D_LOCK, NULL },
	[3] = { x86_op_neg_E, D_LOCK, NULL },
	[4] = { x86_op_mul_E, 0, NULL },
	[5] = { x86_op_imul_E, 0, NULL },
	[6] = { x86_op_div_E, 0, NULL },
	[7] = { x86_op_idiv_E, 0, NULL },
};
static const struct x86_opinfo grp3v[8] = {
	[0 ... 1] = { x86_op_test_EI, D_IZ, NULL },
	[2] = { x86_op_not_E, D_LOCK, NULL },
	[3] = { x86_op_neg_E, D_LOCK, NULL },
	[4] = { x86_op_mul_E, 0, NULL },
	[5] = { x86_op_imul_E, 0, NULL },
	[6] = { x86_op_div_E, 0, NULL },
	[7] = { x86_op_idiv_E, 0, NULL },
};
/* Group 4: FE */
static const struct x86_opinfo grp4[8] = {
	[0] = { x86_op_inc_E, D_LOCK, NULL },
	[1] = { x86_op_dec_E, D_LOCK, NULL },
	[2 ... 7] = UD,
};
/* Group 5: FF */
static const struct x86_opinfo grp5[8] = {
	[0] = { x86_op_inc_E, D_LOCK, NULL },
	[1] = { x86_op_dec_E, D_LOCK, NULL },
	[2] = { x86_op_call_E, D_F64 | D_END | D_CHAIN, NULL },
	[3] = { x86_op_callf_M, D_MEM | D_END, NULL },
	[4] = { x86_op_jmp_E, D_F64 | D_END | D_CHAIN, NULL },
	[5] = { x86_op_jmpf_M, D_MEM | D_END, NULL },
	[6] = { x86_op_push_E, D_DEF64, NULL },
	[7] = UD,
};
/* Group 8: 0F BA */
static const struct x86_opinfo grp8[8] = {
	[0 ... 3] = UD,
	[4] = { x86_op_bt_EI, D_IB, NULL },
	[5 ... 7] = { x86_op_bt_EI, D_IB | D_LOCK, NULL },
};
/* Group 9: 0F C7 (only CMPXCHG8B/16B; RDRAND/RDSEED not offered) */
static const struct x86_opinfo grp9[8] = {
	[0] = UD,
	[1] = { x86_op_grp9, D_MEM | D_LOCK, NULL },
	[2 ... 7] = UD,
};
/* Group 11: C6 C7 */
static const struct x86_opinfo grp11b[8] = {
	[0] = { x86_op_mov_EI, D_IB, NULL },
	[1 ... 7] = UD,
};
static const struct x86_opinfo grp11v[8] = {
	[0] = { x86_op_mov_EI, D_IZ, NULL },
	[1 ... 7] = UD,
};

#define ALU(base) \
	[(base) + 0] = { x86_op_alu_EG, D_MODRM | D_BYTE | D_LOCK, NULL }, \
	[(base) + 1] = { x86_op_alu_EG, D_MODRM | D_LOCK, NULL }, \
	[(base) + 2] = { x86_op_alu_GE, D_MODRM | D_BYTE, NULL }, \
	[(base) + 3] = { x86_op_alu_GE, D_MODRM, NULL }, \
	[(base) + 4] = { x86_op_alu_AI, D_BYTE | D_IB, NULL }, \
	[(base) + 5] = { x86_op_alu_AI, D_IZ, NULL }

/* One-byte opcode map (Table A-2). */
static const struct x86_opinfo map0[256] = {
	ALU(0x00), ALU(0x08), ALU(0x10), ALU(0x18),
	ALU(0x20), ALU(0x28), ALU(0x30), ALU(0x38),
	/* CMP never writes: no LOCK */
	[0x38] = { x86_op_alu_EG, D_MODRM | D_BYTE, NULL },
	[0x39] = { x86_op_alu_EG, D_MODRM, NULL },
	[0x06] = { x86_op_push_sreg, D_INV64, NULL },
	[0x07] = { x86_op_pop_sreg, D_INV64 | D_END, NULL },
	[0x0e] = { x86_op_push_sreg, D_INV64, NULL },
	[0x0f] = UD,			/* escape, handled in x86_decode */
	[0x16] = { x86_op_push_sreg, D_INV64, NULL },
	[0x17] = { x86_op_pop_sreg, D_INV64 | D_END, NULL },
	[0x1e] = { x86_op_push_sreg, D_INV64, NULL },
	[0x1f] = { x86_op_pop_sreg, D_INV64 | D_END, NULL },
	[0x26] = UD, [0x2e] = UD, [0x36] = UD, [0x3e] = UD,	/* prefixes */
	[0x27] = { x86_op_daa, D_INV64, NULL },
	[0x2f] = { x86_op_das, D_INV64, NULL },
	[0x37] = { x86_op_aaa, D_INV64, NULL },
	[0x3f] = { x86_op_aas, D_INV64, NULL },
	[0x40 ... 0x4f] = { x86_op_incdec_Z, 0, NULL },	/* REX in 64-bit */
	[0x50 ... 0x57] = { x86_op_push_Z, D_DEF64, NULL },
	[0x58 ... 0x5f] = { x86_op_pop_Z, D_DEF64, NULL },
	[0x60] = { x86_op_pusha, D_INV64, NULL },
	[0x61] = { x86_op_popa, D_INV64, NULL },
	[0x62] = { x86_op_bound, D_MODRM | D_MEM | D_INV64, NULL },
	[0x63] = { x86_op_arpl, D_MODRM, NULL },	/* MOVSXD in 64-bit */
	[0x64 ... 0x67] = UD,				/* prefixes */
	[0x68] = { x86_op_push_I, D_IZ | D_DEF64, NULL },
	[0x69] = { x86_op_imul_GEI, D_MODRM | D_IZ, NULL },
	[0x6a] = { x86_op_push_I, D_IBS | D_DEF64, NULL },
	[0x6b] = { x86_op_imul_GEI, D_MODRM | D_IBS, NULL },
	[0x6c] = { x86_op_ins, D_BYTE | D_STR, NULL },
	[0x6d] = { x86_op_ins, D_STR, NULL },
	[0x6e] = { x86_op_outs, D_BYTE | D_STR, NULL },
	[0x6f] = { x86_op_outs, D_STR, NULL },
	[0x70 ... 0x7f] = { x86_op_jcc, D_IBS | D_F64 | D_END | D_CHAIN, NULL },
	[0x80] = GRP(grp1, D_BYTE | D_IB),
	[0x81] = GRP(grp1, D_IZ),
	[0x82] = GRP(grp1, D_BYTE | D_IB | D_INV64),
	[0x83] = GRP(grp1, D_IBS),
	[0x84] = { x86_op_test_EG, D_MODRM | D_BYTE, NULL },
	[0x85] = { x86_op_test_EG, D_MODRM, NULL },
	[0x86] = { x86_op_xchg_EG, D_MODRM | D_BYTE | D_LOCK, NULL },
	[0x87] = { x86_op_xchg_EG, D_MODRM | D_LOCK, NULL },
	[0x88] = { x86_op_mov_EG, D_MODRM | D_BYTE, NULL },
	[0x89] = { x86_op_mov_EG, D_MODRM, NULL },
	[0x8a] = { x86_op_mov_GE, D_MODRM | D_BYTE, NULL },
	[0x8b] = { x86_op_mov_GE, D_MODRM, NULL },
	[0x8c] = { x86_op_mov_ES, D_MODRM, NULL },
	[0x8d] = { x86_op_lea, D_MODRM | D_MEM, NULL },
	[0x8e] = { x86_op_mov_SE, D_MODRM | D_END, NULL },
	[0x8f] = GRP(grp1a, 0),
	[0x90] = { x86_op_nop90, 0, NULL },
	[0x91 ... 0x97] = { x86_op_xchg_ZA, 0, NULL },
	[0x98] = { x86_op_cbw, 0, NULL },
	[0x99] = { x86_op_cwd, 0, NULL },
	[0x9a] = { x86_op_callf_A, D_FAR | D_INV64 | D_END, NULL },
	[0x9b] = { x86_op_fwait, 0, NULL },
	[0x9c] = { x86_op_pushf, D_DEF64, NULL },
	[0x9d] = { x86_op_popf, D_DEF64 | D_END, NULL },
	[0x9e] = { x86_op_sahf, 0, NULL },
	[0x9f] = { x86_op_lahf, 0, NULL },
	[0xa0] = { x86_op_mov_AO, D_MOFFS | D_BYTE, NULL },
	[0xa1] = { x86_op_mov_AO, D_MOFFS, NULL },
	[0xa2] = { x86_op_mov_OA, D_MOFFS | D_BYTE, NULL },
	[0xa3] = { x86_op_mov_OA, D_MOFFS, NULL },
	[0xa4] = { x86_op_movs, D_BYTE | D_STR, NULL },
	[0xa5] = { x86_op_movs, D_STR, NULL },
	[0xa6] = { x86_op_cmps, D_BYTE | D_STR, NULL },
	[0xa7] = { x86_op_cmps, D_STR, NULL },
	[0xa8] = { x86_op_test_AI, D_BYTE | D_IB, NULL },
	[0xa9] = { x86_op_test_AI, D_IZ, NULL },
	[0xaa] = { x86_op_stos, D_BYTE | D_STR, NULL },
	[0xab] = { x86_op_stos, D_STR, NULL },
	[0xac] = { x86_op_lods, D_BYTE | D_STR, NULL },
	[0xad] = { x86_op_lods, D_STR, NULL },
	[0xae] = { x86_op_scas, D_BYTE | D_STR, NULL },
	[0xaf] = { x86_op_scas, D_STR, NULL },
	[0xb0 ... 0xb7] = { x86_op_mov_ZI, D_BYTE | D_IB, NULL },
	[0xb8 ... 0xbf] = { x86_op_mov_ZI, D_IV, NULL },
	[0xc0] = GRP(grp2, D_BYTE | D_IB),
	[0xc1] = GRP(grp2, D_IB),
	[0xc2] = { x86_op_ret, D_IW | D_F64 | D_END | D_CHAIN, NULL },
	[0xc3] = { x86_op_ret, D_F64 | D_END | D_CHAIN, NULL },
	[0xc4] = { x86_op_lseg, D_MODRM | D_MEM | D_INV64 | D_END, NULL },
	[0xc5] = { x86_op_lseg, D_MODRM | D_MEM | D_INV64 | D_END, NULL },
	[0xc6] = GRP(grp11b, D_BYTE),
	[0xc7] = GRP(grp11v, 0),
	[0xc8] = { x86_op_enter, D_ENTER | D_DEF64, NULL },
	[0xc9] = { x86_op_leave, D_DEF64, NULL },
	[0xca] = { x86_op_retf, D_IW | D_END, NULL },
	[0xcb] = { x86_op_retf, D_END, NULL },
	[0xcc] = SYS(x86_op_int3, 0),
	[0xcd] = SYS(x86_op_int, D_IB),
	[0xce] = SYS(x86_op_into, D_INV64),
	[0xcf] = SYS(x86_op_iret, 0),
	[0xd0] = GRP(grp2, D_BYTE),
	[0xd1] = GRP(grp2, 0),
	[0xd2] = GRP(grp2, D_BYTE),
	[0xd3] = GRP(grp2, 0),
	[0xd4] = { x86_op_aam, D_IB | D_INV64, NULL },
	[0xd5] = { x86_op_aad, D_IB | D_INV64, NULL },
	[0xd6] = { x86_op_salc, D_INV64, NULL },
	[0xd7] = { x86_op_xlat, D_BYTE, NULL },
	[0xd8 ... 0xdf] = { x86_op_x87, D_MODRM, NULL },
	[0xe0 ... 0xe2] = { x86_op_loop, D_IBS | D_F64 | D_END | D_CHAIN,
	    NULL },
	[0xe3] = { x86_op_jcxz, D_IBS | D_F64 | D_END | D_CHAIN, NULL },
	[0xe4] = { x86_op_in, D_BYTE | D_IB, NULL },
	[0xe5] = { x86_op_in, D_IB, NULL },
	[0xe6] = { x86_op_out, D_BYTE | D_IB, NULL },
	[0xe7] = { x86_op_out, D_IB, NULL },
	[0xe8] = { x86_op_call_J, D_IZ | D_F64 | D_END | D_CHAIN, NULL },
	[0xe9] = { x86_op_jmp_J, D_IZ | D_F64 | D_END | D_CHAIN, NULL },
	[0xea] = { x86_op_jmpf_A, D_FAR | D_INV64 | D_END, NULL },
	[0xeb] = { x86_op_jmp_J, D_IBS | D_F64 | D_END | D_CHAIN, NULL },
	[0xec] = { x86_op_in, D_BYTE, NULL },
	[0xed] = { x86_op_in, 0, NULL },
	[0xee] = { x86_op_out, D_BYTE, NULL },
	[0xef] = { x86_op_out, 0, NULL },
	[0xf0] = UD, [0xf2] = UD, [0xf3] = UD,		/* prefixes */
	[0xf1] = SYS(x86_op_int1, 0),
	[0xf4] = SYS(x86_op_hlt, 0),
	[0xf5] = { x86_op_flagop, 0, NULL },
	[0xf6] = GRP(grp3b, D_BYTE),
	[0xf7] = GRP(grp3v, 0),
	[0xf8 ... 0xf9] = { x86_op_flagop, 0, NULL },
	[0xfa] = SYS(x86_op_cli, 0),
	[0xfb] = SYS(x86_op_sti, 0),
	[0xfc ... 0xfd] = { x86_op_flagop, 0, NULL },
	[0xfe] = GRP(grp4, D_BYTE),
	[0xff] = GRP(grp5, 0),
};

/* MMX/SSE entries: sse.c decides from map, opcode and prefixes. */
#define SSE	{ x86_op_sse, D_MODRM, NULL }
#define SSEI	{ x86_op_sse, D_MODRM | D_IB, NULL }

/* Two-byte opcode map 0F xx (Table A-3). */
static const struct x86_opinfo map1[256] = {
	[0x00 ... 0xff] = UD,
	[0x10 ... 0x17] = SSE,
	[0x28 ... 0x2f] = SSE,
	[0x50 ... 0x6f] = SSE,
	[0x70 ... 0x73] = SSEI,
	[0x74 ... 0x76] = SSE,
	[0x77] = { x86_op_sse, 0, NULL },		/* EMMS */
	[0x78 ... 0x7f] = SSE,
	[0xc2] = SSEI,
	[0xc3] = SSE,					/* MOVNTI */
	[0xc4 ... 0xc6] = SSEI,
	[0xd0 ... 0xfe] = SSE,
	[0x00] = SYS(x86_op_grp6, D_MODRM),
	[0x01] = SYS(x86_op_grp7, D_MODRM),
	[0x02] = SYS(x86_op_lar, D_MODRM),
	[0x03] = SYS(x86_op_lsl, D_MODRM),
	[0x05] = SYS(x86_op_syscall, 0),
	[0x06] = SYS(x86_op_clts, 0),
	[0x07] = SYS(x86_op_sysret, 0),
	[0x08 ... 0x09] = SYS(x86_op_wbinvd, 0),
	[0x0b] = { x86_op_ud, D_END, NULL },		/* UD2 */
	[0x0d] = { x86_op_nop, D_MODRM, NULL },		/* PREFETCHW */
	[0x18 ... 0x1f] = { x86_op_nop, D_MODRM, NULL },	/* hint NOPs */
	[0x20] = SYS(x86_op_mov_from_cr, D_MODRM | D_MODREG),
	[0x21] = SYS(x86_op_mov_from_dr, D_MODRM | D_MODREG),
	[0x22] = SYS(x86_op_mov_to_cr, D_MODRM | D_MODREG),
	[0x23] = SYS(x86_op_mov_to_dr, D_MODRM | D_MODREG),
	[0x30] = SYS(x86_op_wrmsr, 0),
	[0x31] = SYS(x86_op_rdtsc, 0),
	[0x32] = SYS(x86_op_rdmsr, 0),
	[0x33] = SYS(x86_op_rdpmc, 0),
	[0x34] = SYS(x86_op_sysenter, 0),
	[0x35] = SYS(x86_op_sysexit, 0),
	[0x40 ... 0x4f] = { x86_op_cmov, D_MODRM, NULL },
	[0x80 ... 0x8f] = { x86_op_jcc, D_IZ | D_F64 | D_END | D_CHAIN, NULL },
	[0x90 ... 0x9f] = { x86_op_setcc, D_MODRM | D_BYTE, NULL },
	[0xa0] = { x86_op_push_sreg, D_DEF64, NULL },
	[0xa1] = { x86_op_pop_sreg, D_DEF64, NULL },
	[0xa2] = SYS(x86_op_cpuid, 0),
	[0xa3] = { x86_op_bt_EG, D_MODRM, NULL },
	[0xa4] = { x86_op_shld, D_MODRM | D_IB, NULL },
	[0xa5] = { x86_op_shld, D_MODRM, NULL },
	[0xa8] = { x86_op_push_sreg, D_DEF64, NULL },
	[0xa9] = { x86_op_pop_sreg, D_DEF64, NULL },
	[0xab] = { x86_op_bt_EG, D_MODRM | D_LOCK, NULL },
	[0xac] = { x86_op_shrd, D_MODRM | D_IB, NULL },
	[0xad] = { x86_op_shrd, D_MODRM, NULL },
	[0xae] = { x86_op_grp15, D_MODRM, NULL },
	[0xaf] = { x86_op_imul_GE, D_MODRM, NULL },
	[0xb0] = { x86_op_cmpxchg, D_MODRM | D_BYTE | D_LOCK, NULL },
	[0xb1] = { x86_op_cmpxchg, D_MODRM | D_LOCK, NULL },
	[0xb2] = { x86_op_lseg, D_MODRM | D_MEM | D_END, NULL },
	[0xb3] = { x86_op_bt_EG, D_MODRM | D_LOCK, NULL },
	[0xb4 ... 0xb5] = { x86_op_lseg, D_MODRM | D_MEM, NULL },
	[0xb6] = { x86_op_movzx, D_MODRM, NULL },
	[0xb7] = { x86_op_movzx, D_MODRM, NULL },
	[0xb8] = { x86_op_popcnt, D_MODRM, NULL },	/* F3 only */
	[0xb9] = { x86_op_ud, D_MODRM | D_END, NULL },	/* UD1 */
	[0xba] = GRP(grp8, 0),
	[0xbb] = { x86_op_bt_EG, D_MODRM | D_LOCK, NULL },
	[0xbc] = { x86_op_bsf, D_MODRM, NULL },
	[0xbd] = { x86_op_bsr, D_MODRM, NULL },
	[0xbe] = { x86_op_movsx, D_MODRM, NULL },
	[0xbf] = { x86_op_movsx, D_MODRM, NULL },
	[0xc0] = { x86_op_xadd, D_MODRM | D_BYTE | D_LOCK, NULL },
	[0xc1] = { x86_op_xadd, D_MODRM | D_LOCK, NULL },
	[0xc7] = GRP(grp9, 0),
	[0xc8 ... 0xcf] = { x86_op_bswap, 0, NULL },
	[0xff] = { x86_op_ud, D_MODRM | D_END, NULL },	/* UD0 */
};

/* 0F38 and 0F3A maps: every entry has ModRM, 0F3A an imm8 (A.3). */
static const struct x86_opinfo map2 = SSE;
static const struct x86_opinfo map3 = SSEI;

/* Fetch state: bounded by the 15-byte limit and the bytes available. */
struct fetch {
	const uint8_t	*p;
	unsigned	avail;
	unsigned	i;
	int		err;	/* X86_DEC_MORE, or 1 when over 15 bytes */
};

static inline uint64_t
fetch(struct fetch *fs, unsigned n)
{
	uint64_t v = 0;
	unsigned k;

	if (fs->err != 0)
		return (0);
	if (fs->i + n > X86_MAX_INSN) {
		fs->err = fs->i + n > fs->avail && fs->avail < X86_MAX_INSN ?
		    X86_DEC_MORE : 1;
		return (0);
	}
	if (fs->i + n > fs->avail) {
		fs->err = X86_DEC_MORE;
		return (0);
	}
	for (k = 0; k < n; k++)
		v |= (uint64_t)fs->p[fs->i + k] << (8 * k);
	fs->i += n;
	return (v);
}

static inline int64_t
fetch_s(struct fetch *fs, unsigned n)
{
	return (x86_sext(fetch(fs, n), n));
}

/* ModRM with 16-bit addressing (SDM Vol 2 Table 2-1). */
static void
modrm16(struct fetch *fs, struct x86_insn *in)
{
	static const uint8_t b16[8] = { X86_RBX, X86_RBX, X86_RBP, X86_RBP,
	    X86_NOREG, X86_NOREG, X86_RBP, X86_RBX };
	static const uint8_t i16[8] = { X86_RSI, X86_RDI, X86_RSI, X86_RDI,
	    X86_RSI, X86_RDI, X86_NOREG, X86_NOREG };
	unsigned rm = in->modrm & 7;

	in->base = b16[rm];
	in->index = i16[rm];
	if (in->mod == 0 && rm == 6) {
		in->base = X86_NOREG;
		in->disp = fetch_s(fs, 2);
	} else if (in->mod == 1) {
		in->disp = fetch_s(fs, 1);
	} else if (in->mod == 2) {
		in->disp = fetch_s(fs, 2);
	}
	in->seg = in->base == X86_RBP ? X86_SS : X86_DS;
}

/* ModRM/SIB with 32/64-bit addressing (SDM Vol 2 Tables 2-2, 2-3). */
static void
modrm32(struct fetch *fs, struct x86_insn *in, unsigned csz)
{
	unsigned rm = in->modrm & 7, rex = in->rex, sib, b, x;

	if (rm == 4) {
		sib = (unsigned)fetch(fs, 1);
		in->scale = (uint8_t)(sib >> 6);
		x = ((sib >> 3) & 7) | ((rex & 2) << 2);
		if (x != 4)
			in->index = (uint8_t)x;
		b = sib & 7;
		if (b == 5 && in->mod == 0)
			in->disp = fetch_s(fs, 4);
		else
			in->base = (uint8_t)(b | ((rex & 1) << 3));
	} else if (rm == 5 && in->mod == 0) {
		in->disp = fetch_s(fs, 4);
		in->ripreal = csz == 8;		/* SDM Vol 2 2.2.1.6 */
		if (in->ripreal)
			in->base = X86_RIPREG;
	} else {
		in->base = (uint8_t)(rm | ((rex & 1) << 3));
	}
	if (in->mod == 1)
		in->disp = fetch_s(fs, 1);
	else if (in->mod == 2)
		in->disp = fetch_s(fs, 4);
	in->seg = in->base == X86_RSP || in->base == X86_RBP ? X86_SS : X86_DS;
}

static void
immediates(struct fetch *fs, struct x86_insn *in, uint32_t f)
{
	unsigned osz = in->opsize;

	if (f & D_IB)
		in->imm = fetch(fs, 1);
	else if (f & D_IBS)
		in->imm = (uint64_t)fetch_s(fs, 1);
	else if (f & D_IW)
		in->imm = fetch(fs, 2);
	else if (f & D_IZ)
		in->imm = (uint64_t)fetch_s(fs, osz == 2 ? 2 : 4);
	else if (f & D_IV)
		in->imm = fetch(fs, osz);
	else if (f & D_ENTER) {
		in->imm = fetch(fs, 2);
		in->imm2 = fetch(fs, 1);
	} else if (f & D_FAR) {
		in->imm = fetch(fs, osz == 2 ? 2 : 4);
		in->imm2 = fetch(fs, 2);
	} else if (f & D_MOFFS) {
		in->disp = (int64_t)fetch(fs, in->adsize);
		in->mod = 0;
	}
}

static unsigned
operand_size(uint32_t f, unsigned csz, unsigned rex, bool p66)
{
	if (f & D_BYTE)
		return (1);
	if (csz != 8)
		return (p66 ? csz ^ 6 : csz);
	if ((rex & 8) || (f & D_F64))
		return (8);
	if (p66)
		return (2);
	return ((f & D_DEF64) ? 8 : 4);
}

static bool
lock_ok(const struct x86_insn *in, uint32_t f)
{
	return ((f & D_LOCK) && in->has_modrm && in->mod != 3);
}

/* Swap in a handler specialized for this form, if a family has one. */
static void
specialize(struct x86_insn *in)
{
	static x86_handler_t (*const fam[])(const struct x86_insn *) = {
		x86_alu_fast, x86_data_fast, x86_ctrl_fast, x86_stack_fast,
		x86_shift_fast, x86_muldiv_fast,
	};
	x86_handler_t fn;
	size_t i;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		fn = fam[i](in);
		if (fn != NULL) {
			in->fn = fn;
			return;
		}
	}
}

int
x86_decode(const uint8_t *p, unsigned avail, unsigned csz,
    struct x86_insn *in)
{
	struct fetch fs = { p, avail, 0, 0 };
	const struct x86_opinfo *oi;
	unsigned b, seg = X86_SEG_NONE;
	bool p66 = false, p67 = false;
	uint32_t f;

	memset(in, 0, sizeof(*in));
	in->base = in->index = X86_NOREG;
	/* Prefixes (SDM Vol 2 2.1.1); REX only right before the opcode. */
	for (;;) {
		b = (unsigned)fetch(&fs, 1);
		if (fs.err != 0)
			goto bad;
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			if (csz != 8)	/* ignored in 64-bit mode */
				seg = (b >> 3) & 3;
			in->rex = 0;
			continue;
		case 0x64: case 0x65:
			seg = X86_FS + (b & 1);
			in->rex = 0;
			continue;
		case 0x66:
			p66 = true;
			in->rex = 0;
			continue;
		case 0x67:
			p67 = true;
			in->rex = 0;
			continue;
		case 0xf0:
			in->lock = 1;
			in->rex = 0;
			continue;
		case 0xf2: case 0xf3:
			in->rep = (uint8_t)b;
			in->rex = 0;
			continue;
		default:
			break;
		}
		if (csz == 8 && (b & 0xf0) == 0x40) {
			in->rex = (uint8_t)b;
			continue;
		}
		break;
	}
	in->opsz_prefix = p66;
	if (b == 0x0f) {
		b = (unsigned)fetch(&fs, 1);
		in->map = 1;
		if (b == 0x38 || b == 0x3a) {
			in->map = b == 0x38 ? 2 : 3;
			b = (unsigned)fetch(&fs, 1);
		}
		if (fs.err != 0)
			goto bad;
	}
	in->opcode = (uint8_t)b;
	if (in->map == 0)
		oi = &map0[b];
	else if (in->map == 1)
		oi = &map1[b];
	else
		oi = in->map == 2 ? &map2 : &map3;
	f = oi->f;
	if (oi->fn == NULL && !(f & D_GRP))
		f |= D_UD | D_END;

	if (csz == 8)
		in->adsize = p67 ? 4 : 8;
	else
		in->adsize = (uint8_t)(p67 ? csz ^ 6 : csz);
	in->ea_mask = x86_mask(in->adsize);

	if (f & D_MODRM) {
		in->has_modrm = 1;
		in->modrm = (uint8_t)fetch(&fs, 1);
		in->mod = in->modrm >> 6;
		in->reg = (uint8_t)(((in->modrm >> 3) & 7) |
		    ((in->rex & 4) << 1));
		in->rm = (uint8_t)((in->modrm & 7) | ((in->rex & 1) << 3));
		if (f & D_GRP) {
			f = (f & ~D_GRP) | oi->grp[(in->modrm >> 3) & 7].f;
			oi = &oi->grp[(in->modrm >> 3) & 7];
		}
		if (f & D_MODREG)
			in->mod = 3;
	}
	in->opsize = (uint8_t)operand_size(f, csz, in->rex, p66);
	if (in->has_modrm && in->mod != 3) {
		if (in->adsize == 2)
			modrm16(&fs, in);
		else
			modrm32(&fs, in, csz);
	} else {
		in->seg = X86_DS;
	}
	immediates(&fs, in, f);
	if (fs.err != 0)
		goto bad;
	if (seg != X86_SEG_NONE)
		in->seg = (uint8_t)seg;
	in->len = (uint8_t)fs.i;
	in->fn = oi->fn != NULL ? oi->fn : x86_op_ud;
	/* 63 is MOVSXD in 64-bit mode (Table A-2 footnote). */
	if (csz == 8 && in->map == 0 && b == 0x63)
		in->fn = x86_op_movsxd;

	if ((f & D_UD) || (csz == 8 && (f & D_INV64)) ||
	    (csz != 8 && (f & D_ONLY64)) ||
	    ((f & D_MEM) && in->mod == 3) || ((f & D_REG) && in->mod != 3) ||
	    (in->lock && !lock_ok(in, f))) {
		in->fn = x86_op_ud;
		f |= D_END;
	}
	/* 40-4F are REX in 64-bit mode: never reached as opcodes there. */
	if ((f & D_STR) && in->rep != 0)
		f |= D_END;
	/*
	 * F3 0F BC is TZCNT only with BMI1 (CPUID.7:EBX[3]), which we do
	 * not offer: then it executes as BSF, the F3 ignored (SDM Vol 2
	 * TZCNT).  LZCNT (F3 0F BD) has its own bit, ABM, which we offer.
	 */
	if (in->map == 1 && in->opcode == 0xbc && in->rep != 0 &&
	    !x86_cpuid_has(7, 1, 3))
		in->rep = 0;
	specialize(in);
	if (f & D_END)
		in->flags |= X86_IF_END;
	if ((f & D_CHAIN) && in->fn != x86_op_ud)
		in->flags |= X86_IF_CHAIN;
	return (0);
bad:
	if (fs.err == X86_DEC_MORE)
		return (X86_DEC_MORE);
	/* Longer than 15 bytes: #GP(0) (SDM Vol 2 2.3.11). */
	memset(in, 0, sizeof(*in));
	in->base = in->index = X86_NOREG;
	in->len = X86_MAX_INSN;
	in->fn = x86_op_gp0;
	in->flags = X86_IF_END;
	return (0);
}
