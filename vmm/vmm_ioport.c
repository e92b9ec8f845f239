/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-engine port dispatch, as FreeBSD's vmm_ioport.c: a port claimed by
 * an in-engine device (PIT, PIC, RTC, PM timer: a later issue) completes
 * inside the engine; every other port exits to userland.
 *
 * A 64 KiB byte map gives each port its handler slot (0 = unclaimed), so
 * the lookup on every IN/OUT is one load.  Registration happens while
 * the VM is set up, before vCPUs run; `mtx` only orders registrations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "vmm/vmm_kern.h"

#define	IOTAB_SLOTS	255	/* slot 0 means "none" */

struct vmm_iotab {
	pthread_mutex_t	mtx;		/* orders (un)registration */
	uint8_t		map[65536];	/* port -> slot */
	struct {
		vmm_pio_fn	fn;
		void		*arg;
	} slot[IOTAB_SLOTS + 1];
};

struct vmm_iotab *
vmm_iotab_create(void)
{
	struct vmm_iotab *t;

	t = calloc(1, sizeof(*t));
	if (t != NULL)
		pthread_mutex_init(&t->mtx, NULL);
	return (t);
}

void
vmm_iotab_destroy(struct vmm_iotab *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mtx);
	free(t);
}

int
vmm_ioport_register(struct vmm_iotab *t, uint16_t port, uint32_t count,
    vmm_pio_fn fn, void *arg)
{
	int s, error = 0;

	if (fn == NULL || count == 0 || port + count > 65536)
		return (-EINVAL);
	pthread_mutex_lock(&t->mtx);
	for (uint32_t i = 0; i < count; i++) {
		if (t->map[port + i] != 0) {
			error = -EEXIST;
			goto out;
		}
	}
	for (s = 1; s <= IOTAB_SLOTS; s++) {
		if (t->slot[s].fn == NULL)
			break;
	}
	if (s > IOTAB_SLOTS) {
		error = -ENOSPC;
		goto out;
	}
	t->slot[s].fn = fn;
	t->slot[s].arg = arg;
	for (uint32_t i = 0; i < count; i++)
		t->map[port + i] = (uint8_t)s;
out:
	pthread_mutex_unlock(&t->mtx);
	return (error);
}

int
vmm_ioport_unregister(struct vmm_iotab *t, uint16_t port, uint32_t count)
{
	uint8_t s;

	if (count == 0 || port + count > 65536)
		return (-EINVAL);
	pthread_mutex_lock(&t->mtx);
	s = t->map[port];
	if (s == 0) {
		pthread_mutex_unlock(&t->mtx);
		return (-ENOENT);
	}
	for (uint32_t i = 0; i < count; i++)
		if (t->map[port + i] == s)
			t->map[port + i] = 0;
	/* Free the slot once no port refers to it. */
	for (uint32_t p = 0; p < 65536; p++)
		if (t->map[p] == s)
			goto out;
	t->slot[s].fn = NULL;
	t->slot[s].arg = NULL;
out:
	pthread_mutex_unlock(&t->mtx);
	return (0);
}

int
vmm_ioport_handle(struct vmm_iotab *t, int vcpuid, uint16_t port,
    unsigned bytes, bool in, uint32_t *val)
{
	uint8_t s = t->map[port];

	if (s == 0 || t->slot[s].fn == NULL)
		return (-ENOENT);
	return (t->slot[s].fn(t->slot[s].arg, vcpuid, in, port, bytes, val));
}
