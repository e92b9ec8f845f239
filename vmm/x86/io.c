/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IN and OUT (SDM Vol 2).  Permission checks (IOPL, TSS bitmap), in-engine
 * devices, exits to userland and their replay are mmu.c's x86_io().
 */
#include "vmm/x86/ops.h"

static inline unsigned
io_size(const struct x86_insn *in)
{
	return (in->opsize > 4 ? 4 : in->opsize);
}

static inline uint16_t
io_port(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	/* E4-E7 take an imm8 port, EC-EF use DX */
	if (in->opcode & 8)
		return ((uint16_t)cpu->gpr[X86_RDX]);
	return ((uint16_t)(in->imm & 0xff));
}

X86_OP(x86_op_in)
{
	unsigned size = io_size(in);
	uint32_t v = 0;
	int rc;

	rc = x86_io(cpu, io_port(cpu, in), size, true, &v);
	if (rc != X86_OK)
		return (rc);
	wr_reg(cpu, X86_RAX, size, 1, v);
	return (X86_OK);
}

X86_OP(x86_op_out)
{
	unsigned size = io_size(in);
	uint32_t v = (uint32_t)rd_reg(cpu, X86_RAX, size, 1);

	return (x86_io(cpu, io_port(cpu, in), size, false, &v));
}
