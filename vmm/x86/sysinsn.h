/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * System-instruction handlers, owned by the system-architecture part of
 * the CPU (system.c, except.c, seg.c) and placed in the opcode tables by
 * decode.c.  Same signature as every handler (x86_handler_t).
 */
#ifndef _VMM_X86_SYSINSN_H_
#define _VMM_X86_SYSINSN_H_

#include "vmm/x86/cpu.h"

/*
 * RIP and exit conventions of these handlers (they follow the run-loop
 * contract at the top of cpu.h):
 *  - On entry cpu->rip is the address of the NEXT instruction (the run
 *    loop advanced it by in->len); the instruction starts at
 *    cpu->rip - in->len.  A handler that transfers control (INT n, IRET,
 *    SYSCALL...) sets cpu->rip itself.
 *  - X86_FAULT: nothing committed; the run loop rewinds RIP and delivers
 *    cpu->exc with x86_deliver().
 *  - X86_EXIT: the instruction did NOT retire (MMIO/INOUT replay exits):
 *    the run loop rewinds RIP to the instruction start.  RDMSR/WRMSR
 *    exits to userland set cpu->exit_retired = 1 (cpu.h run-loop
 *    contract): userland completes them (RAX/RDX for RDMSR), as bhyve's
 *    vmexit_rdmsr does.  VM_EXITCODE_SUSPENDED (triple fault): RIP moot.
 *  - HLT does not exit itself: it sets cpu->halted = 1 and retires
 *    (cpu->rip = next instruction).  The run loop, at the instruction
 *    boundary, wakes on a deliverable interrupt/NMI or exits with
 *    VM_EXITCODE_HLT (u.hlt.rflags) while cpu->halted stays set.
 *  - STI and MOV/POP SS set cpu->intr_shadow = 1; the run loop clears it
 *    after the next instruction retires and blocks interrupts meanwhile.
 *  - INT n/INT3/INTO deliver at once; a fault while delivering is the
 *    instruction's own fault (X86_FAULT, RIP rewound to the INT).  A
 *    hardware task switch (far JMP/CALL to a TSS or task gate, IRET with
 *    NT) that faults after its commit point delivers that fault in the
 *    new task itself and returns X86_OK (SDM Vol 3 7.3).
 */
#define X86_SYSOP(name) \
	int name(struct x86_cpu *cpu, const struct x86_insn *in)

X86_SYSOP(x86_op_grp6);		/* 0F 00: SLDT STR LLDT LTR VERR VERW */
X86_SYSOP(x86_op_grp7);		/* 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG
				   SWAPGS RDTSCP MONITOR MWAIT XGETBV XSETBV
				   CLAC STAC ... */
X86_SYSOP(x86_op_lar);		/* 0F 02 */
X86_SYSOP(x86_op_lsl);		/* 0F 03 */
X86_SYSOP(x86_op_syscall);	/* 0F 05 */
X86_SYSOP(x86_op_clts);		/* 0F 06 */
X86_SYSOP(x86_op_sysret);	/* 0F 07 */
X86_SYSOP(x86_op_wbinvd);	/* 0F 08 INVD, 0F 09 WBINVD */
X86_SYSOP(x86_op_mov_from_cr);	/* 0F 20 */
X86_SYSOP(x86_op_mov_from_dr);	/* 0F 21 */
X86_SYSOP(x86_op_mov_to_cr);	/* 0F 22 */
X86_SYSOP(x86_op_mov_to_dr);	/* 0F 23 */
X86_SYSOP(x86_op_wrmsr);	/* 0F 30 */
X86_SYSOP(x86_op_rdtsc);	/* 0F 31 */
X86_SYSOP(x86_op_rdmsr);	/* 0F 32 */
X86_SYSOP(x86_op_rdpmc);	/* 0F 33 */
X86_SYSOP(x86_op_sysenter);	/* 0F 34 */
X86_SYSOP(x86_op_sysexit);	/* 0F 35 */
X86_SYSOP(x86_op_cpuid);	/* 0F A2 */
X86_SYSOP(x86_op_hlt);		/* F4 */
X86_SYSOP(x86_op_cli);		/* FA */
X86_SYSOP(x86_op_sti);		/* FB */
X86_SYSOP(x86_op_int3);		/* CC */
X86_SYSOP(x86_op_int);		/* CD ib */
X86_SYSOP(x86_op_into);		/* CE */
X86_SYSOP(x86_op_int1);		/* F1 ICEBP */
X86_SYSOP(x86_op_iret);		/* CF */

#endif /* _VMM_X86_SYSINSN_H_ */
