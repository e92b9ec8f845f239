/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal 8042 keyboard controller (FreeBSD usr.sbin/bhyve/atkbdc.c
 * is the full one, with PS/2 keyboard and mouse): ports 0x60/0x64 and
 * System Control Port A (0x92).  Enough for guests to probe it, set the
 * A20 gate and, above all, reset the machine: command 0xFE (pulse the
 * reset line), output-port writes with bit 0 clear, and the fast reset
 * bit of port 0x92 reach vm_suspend(VM_SUSPEND_RESET).
 *
 * No keyboard or mouse is attached: keyboard commands are acknowledged
 * (0xFA), the auxiliary port reports itself absent.  The A20 gate is
 * kept as a register bit only; the CPU always has A20 enabled.
 */
#ifndef _BHYVE_AMD64_ATKBDC_H_
#define _BHYVE_AMD64_ATKBDC_H_

struct vmctx;

int	atkbdc_init(struct vmctx *ctx);
void	atkbdc_fini(void);

#endif /* _BHYVE_AMD64_ATKBDC_H_ */
