/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Instruction decoder interface (decode.c), used by run.c and the decoder
 * fuzz harness.
 */
#ifndef _VMM_X86_DECODE_H_
#define _VMM_X86_DECODE_H_

#include "vmm/x86/cpu.h"

#define X86_MAX_INSN	15	/* SDM Vol 2 2.3.11 */
#define X86_DEC_MORE	(-1)	/* ran past `avail` bytes */

/*
 * Decode one instruction from `p` (at most `avail` readable bytes) for a
 * code segment of default size `csz` (2, 4 or 8; 8 means 64-bit mode).
 * Returns 0 with *in filled, or X86_DEC_MORE.  Invalid encodings decode
 * to a handler raising #UD (or #GP when longer than 15 bytes), so the
 * result can be cached like any other instruction.
 */
int	x86_decode(const uint8_t *p, unsigned avail, unsigned csz,
	    struct x86_insn *in);

#endif /* _VMM_X86_DECODE_H_ */
