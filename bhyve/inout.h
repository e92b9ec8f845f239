/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Port I/O handlers in userland, as FreeBSD's usr.sbin/bhyve/inout.h:
 * devices register a range of ports; the vCPU exit loop dispatches
 * VM_EXITCODE_INOUT exits to them.  One VM per bhyve process, so the
 * table is the process's.
 */
#ifndef _BHYVE_INOUT_H_
#define _BHYVE_INOUT_H_

#include <stdint.h>

struct vmctx;
struct vcpu;
struct vm_exit;

/* 0 on success (for in, *eax holds the value), -1 on failure. */
typedef int (*inout_func_t)(struct vmctx *ctx, int in, int port, int bytes,
    uint32_t *eax, void *arg);

struct inout_port {
	const char	*name;
	int		port;
	int		size;		/* number of ports */
	int		flags;
	inout_func_t	handler;
	void		*arg;
};

#define	IOPORT_F_IN		0x1
#define	IOPORT_F_OUT		0x2
#define	IOPORT_F_INOUT		(IOPORT_F_IN | IOPORT_F_OUT)

#define	MAX_IOPORTS		(1 << 16)

/* emulate_inout() results besides 0 and -1. */
/* No handler for the port and direction. */
#define	INOUT_UNHANDLED		1

void	init_inout(void);
int	register_inout(struct inout_port *iop);
int	unregister_inout(struct inout_port *iop);
/*
 * Run the handler for an INOUT exit.  For an IN the value goes to
 * vme->u.inout.eax, which the next vm_run() consumes (vmmapi.h).
 * Returns 0, INOUT_UNHANDLED, or -1 when the handler failed.
 */
int	emulate_inout(struct vmctx *ctx, struct vcpu *vcpu,
	    struct vm_exit *vme);

#endif /* _BHYVE_INOUT_H_ */
