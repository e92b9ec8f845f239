/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-engine MMIO ranges (LAPIC, IOAPIC, HPET: a later issue).  Accesses
 * to a claimed range complete in the engine; the rest exit to userland
 * as VM_EXITCODE_MMIO.  A handful of ranges, so a short array; ranges
 * are registered before vCPUs run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "vmm/vmm_kern.h"

#define	MMIOTAB_MAX	16

struct vmm_mmiotab {
	pthread_mutex_t	mtx;		/* orders (un)registration */
	int		n;
	struct {
		uint64_t	gpa;
		uint64_t	len;
		vmm_mmio_fn	fn;
		void		*arg;
	} r[MMIOTAB_MAX];
};

struct vmm_mmiotab *
vmm_mmiotab_create(void)
{
	struct vmm_mmiotab *t;

	t = calloc(1, sizeof(*t));
	if (t != NULL)
		pthread_mutex_init(&t->mtx, NULL);
	return (t);
}

void
vmm_mmiotab_destroy(struct vmm_mmiotab *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mtx);
	free(t);
}

int
vmm_mmio_register(struct vmm_mmiotab *t, uint64_t gpa, uint64_t len,
    vmm_mmio_fn fn, void *arg)
{
	int error = 0;

	if (fn == NULL || len == 0 || gpa + len < gpa)
		return (-EINVAL);
	pthread_mutex_lock(&t->mtx);
	for (int i = 0; i < t->n; i++) {
		if (gpa < t->r[i].gpa + t->r[i].len &&
		    t->r[i].gpa < gpa + len) {
			error = -EEXIST;
			goto out;
		}
	}
	if (t->n == MMIOTAB_MAX) {
		error = -ENOSPC;
		goto out;
	}
	t->r[t->n].gpa = gpa;
	t->r[t->n].len = len;
	t->r[t->n].fn = fn;
	t->r[t->n].arg = arg;
	t->n++;
out:
	pthread_mutex_unlock(&t->mtx);
	return (error);
}

int
vmm_mmio_unregister(struct vmm_mmiotab *t, uint64_t gpa)
{
	int error = -ENOENT;

	pthread_mutex_lock(&t->mtx);
	for (int i = 0; i < t->n; i++) {
		if (t->r[i].gpa != gpa)
			continue;
		t->r[i] = t->r[t->n - 1];
		t->n--;
		error = 0;
		break;
	}
	pthread_mutex_unlock(&t->mtx);
	return (error);
}

int
vmm_mmio_handle(struct vmm_mmiotab *t, int vcpuid, uint64_t gpa,
    unsigned bytes, bool write, uint64_t *val)
{
	for (int i = 0; i < t->n; i++) {
		if (gpa >= t->r[i].gpa && gpa - t->r[i].gpa < t->r[i].len)
			return (t->r[i].fn(t->r[i].arg, vcpuid, write, gpa,
			    bytes, val));
	}
	return (-ENOENT);
}
