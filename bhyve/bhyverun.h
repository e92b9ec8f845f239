/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Declarations shared by bhyverun.c (main: options, config) and the rest
 * of bhyve.  Process exit statuses are bhyve(8)'s.
 */
#ifndef _BHYVE_BHYVERUN_H_
#define _BHYVE_BHYVERUN_H_

#include <stdbool.h>
#include <stddef.h>

struct vmctx;
struct vcpu;

#define	BHYVE_EXIT_RESET	0
#define	BHYVE_EXIT_POWEROFF	1
#define	BHYVE_EXIT_HALT		2
#define	BHYVE_EXIT_TRIPLEFAULT	3
#define	BHYVE_EXIT_ERROR	4

/* amd64/bhyverun_machdep.c: defaults, getopt loop, usage. */
void	bhyve_init_config(void);
void	bhyve_optparse(int argc, char **argv);
void	bhyve_usage(int code) __attribute__((noreturn));

/*
 * amd64/vmexit.c: create the VM described by the (frozen) config tree,
 * start one thread per vCPU, run until the guest suspends.  Returns the
 * process exit status (BHYVE_EXIT_*).
 */
int	bhyve_start_vm(const char *vmname);

/*
 * Kernel loading (boot.kernel, boot.initrd, boot.cmdline): detects
 * multiboot ELF or (later) Linux bzImage by content, loads it into guest
 * memory and sets the BSP's registers.  0 or -1 with a message printed.
 */
int	bhyve_load_kernel(struct vmctx *ctx, struct vcpu *bsp);

#endif /* _BHYVE_BHYVERUN_H_ */
