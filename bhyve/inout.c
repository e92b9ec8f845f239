/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userland port dispatch: a 64 Ki-entry table, one slot per port.
 * Ports may be (un)registered while vCPUs run (PCI I/O BARs move when
 * the guest programs them), so lookups take the read side of `lock`.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "bhyve/inout.h"
#include "libvmmapi/vmmapi.h"

struct inout_slot {
	inout_func_t	handler;
	void		*arg;
	int		flags;
	const char	*name;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct inout_slot slots[MAX_IOPORTS];	/* (lock) */

void
init_inout(void)
{
	pthread_rwlock_wrlock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_rwlock_unlock(&lock);
}

static bool
iop_valid(const struct inout_port *iop)
{
	return (iop->port >= 0 && iop->size > 0 &&
	    iop->size <= MAX_IOPORTS - iop->port &&
	    (iop->flags & IOPORT_F_INOUT) != 0);
}

int
register_inout(struct inout_port *iop)
{
	if (!iop_valid(iop) || iop->handler == NULL) {
		errno = EINVAL;
		return (-1);
	}
	pthread_rwlock_wrlock(&lock);
	for (int p = iop->port; p < iop->port + iop->size; p++) {
		if (slots[p].handler != NULL) {
			pthread_rwlock_unlock(&lock);
			errno = EEXIST;
			return (-1);
		}
	}
	for (int p = iop->port; p < iop->port + iop->size; p++) {
		slots[p].handler = iop->handler;
		slots[p].arg = iop->arg;
		slots[p].flags = iop->flags;
		slots[p].name = iop->name;
	}
	pthread_rwlock_unlock(&lock);
	return (0);
}

int
unregister_inout(struct inout_port *iop)
{
	if (!iop_valid(iop)) {
		errno = EINVAL;
		return (-1);
	}
	pthread_rwlock_wrlock(&lock);
	for (int p = iop->port; p < iop->port + iop->size; p++)
		memset(&slots[p], 0, sizeof(slots[p]));
	pthread_rwlock_unlock(&lock);
	return (0);
}

int
emulate_inout(struct vmctx *ctx, struct vcpu *vcpu, struct vm_exit *vme)
{
	struct inout_slot s;
	int in = vme->u.inout.in;
	int bytes = vme->u.inout.bytes;
	uint32_t eax = vme->u.inout.eax;

	(void)vcpu;
	if (bytes != 1 && bytes != 2 && bytes != 4)
		return (-1);
	pthread_rwlock_rdlock(&lock);
	s = slots[vme->u.inout.port];
	pthread_rwlock_unlock(&lock);
	if (s.handler == NULL ||
	    (s.flags & (in ? IOPORT_F_IN : IOPORT_F_OUT)) == 0)
		return (INOUT_UNHANDLED);
	if (s.handler(ctx, in, vme->u.inout.port, bytes, &eax, s.arg) != 0)
		return (-1);
	if (in)
		vme->u.inout.eax = eax;
	return (0);
}
