/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Miscellaneous: invalid opcodes, NOP forms and PAUSE, flag bit
 * instructions, fences and CLFLUSH, MOV to/from segment registers, far
 * pointer loads (LDS LES LSS LFS LGS) (SDM Vol 2).  WAIT and the x87
 * escapes are fpu.c's.
 */
#include <stdatomic.h>

#include "vmm/x86/fpu.h"
#include "vmm/x86/ops.h"

X86_OP(x86_op_ud)
{
	return (x86_raise(cpu, IDT_UD, -1));
}

/* An instruction longer than 15 bytes (SDM Vol 2 2.3.11). */
X86_OP(x86_op_gp0)
{
	return (x86_raise(cpu, IDT_GP, 0));
}

X86_OP(x86_op_nop)
{
	return (X86_OK);
}

/* 90: NOP; with REX.B XCHG r8, rAX; F3 90 is PAUSE. */
X86_OP(x86_op_nop90)
{
	if (in->rex & 1)
		return (x86_op_xchg_ZA(cpu, in));
	if (in->rep == 0xf3 && cpu->pause_exit) {
		cpu->exit->exitcode = VM_EXITCODE_PAUSE;
		cpu->exit_retired = 1;
		return (X86_EXIT);
	}
	return (X86_OK);
}

/* F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD */
X86_OP(x86_op_flagop)
{
	uint32_t f;

	switch (in->opcode) {
	case 0xfc:
		cpu->rflags &= ~(uint64_t)X86_DF;
		return (X86_OK);
	case 0xfd:
		cpu->rflags |= X86_DF;
		return (X86_OK);
	default:
		break;
	}
	f = x86_arith_flags(cpu);
	if (in->opcode == 0xf5)
		f ^= X86_CF;
	else if (in->opcode == 0xf8)
		f &= ~X86_CF;
	else
		f |= X86_CF;
	x86_set_arith(cpu, f);
	return (X86_OK);
}

/* 0F AE: LFENCE MFENCE SFENCE (register forms), CLFLUSH(OPT) m8. */
X86_OP(x86_op_grp15)
{
	unsigned op = in->reg & 7;
	void *hp;

	if (in->rep != 0)
		return (x86_raise(cpu, IDT_UD, -1));
	if (in->mod == 3) {
		if (op < 5)
			return (x86_raise(cpu, IDT_UD, -1));
		atomic_thread_fence(memory_order_seq_cst);
		return (X86_OK);
	}
	if (op != 7)	/* FXSAVE .. XSAVEOPT: xsave.c */
		return (x86_op_fp_grp15(cpu, in));
	/* faults like a byte read, touches nothing */
	return (x86_vptr(cpu, in->seg, x86_ea(cpu, in), 1, X86_ACC_R, &hp));
}

/* 8C: MOV Ev, Sreg (a register destination gets the zero-extended
 * selector, memory always 16 bits). */
X86_OP(x86_op_mov_ES)
{
	unsigned s = in->reg & 7;

	if (s > X86_GS)
		return (x86_raise(cpu, IDT_UD, -1));
	if (in->mod == 3) {
		wr_reg(cpu, in->rm, in->opsize, in->rex, cpu->seg[s].sel);
		return (X86_OK);
	}
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), 2, cpu->seg[s].sel));
}

/* 8E: MOV Sreg, Ew; CS is #UD; SS starts an interrupt shadow. */
X86_OP(x86_op_mov_SE)
{
	unsigned s = in->reg & 7;
	uint64_t v;
	int rc;

	if (s > X86_GS || s == X86_CS)
		return (x86_raise(cpu, IDT_UD, -1));
	rc = rd_E(cpu, in, 2, &v);
	if (rc == X86_OK)
		rc = x86_load_seg(cpu, (int)s, (uint16_t)v);
	if (rc != X86_OK)
		return (rc);
	if (s == X86_SS)
		cpu->intr_shadow = 1;
	return (X86_OK);
}

/* C4 LES, C5 LDS, 0F B2 LSS, 0F B4 LFS, 0F B5 LGS: Gv, Mp */
X86_OP(x86_op_lseg)
{
	uint64_t ea = x86_ea(cpu, in), off, sel;
	int seg, rc;

	if (in->map == 0)
		seg = in->opcode == 0xc4 ? X86_ES : X86_DS;
	else
		seg = in->opcode == 0xb2 ? X86_SS : in->opcode == 0xb4 ?
		    X86_FS : X86_GS;
	rc = rd_mem(cpu, in->seg, ea, in->opsize, &off);
	if (rc == X86_OK)
		rc = rd_mem(cpu, in->seg, (ea + in->opsize) &
		    x86_mask(in->adsize), 2, &sel);
	if (rc == X86_OK)
		rc = x86_load_seg(cpu, seg, (uint16_t)sel);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, off);
	return (X86_OK);
}
