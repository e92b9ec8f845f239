/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userland MMIO dispatch: two short lists of ranges (ordinary, then
 * fallback), searched linearly; devices are few and the hot ones live
 * in the engine.  Registration may happen while vCPUs run (PCI BARs),
 * so lookups hold the read side of `lock` across the handler call of a
 * range that can go away: an unregister waits until it is done.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "bhyve/mem.h"
#include "libvmmapi/vmmapi.h"

#define	MEM_MAX_RANGES	256

struct mem_list {
	int			n;
	struct mem_range	r[MEM_MAX_RANGES];
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct mem_list ranges;		/* (lock) */
static struct mem_list fallback;	/* (lock) */

void
init_mem(int ncpu)
{
	(void)ncpu;
	pthread_rwlock_wrlock(&lock);
	ranges.n = 0;
	fallback.n = 0;
	pthread_rwlock_unlock(&lock);
}

static bool
overlaps(const struct mem_list *l, uint64_t base, uint64_t size)
{
	for (int i = 0; i < l->n; i++)
		if (base < l->r[i].base + l->r[i].size &&
		    l->r[i].base < base + size)
			return (true);
	return (false);
}

static int
add(struct mem_list *l, const struct mem_range *memp)
{
	int error = 0;

	if (memp->handler == NULL || memp->size == 0 ||
	    memp->base + memp->size < memp->base) {
		errno = EINVAL;
		return (-1);
	}
	pthread_rwlock_wrlock(&lock);
	if (overlaps(l, memp->base, memp->size))
		error = EEXIST;
	else if (l->n == MEM_MAX_RANGES)
		error = ENOSPC;
	else
		l->r[l->n++] = *memp;
	pthread_rwlock_unlock(&lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
register_mem(struct mem_range *memp)
{
	return (add(&ranges, memp));
}

int
register_mem_fallback(struct mem_range *memp)
{
	return (add(&fallback, memp));
}

int
unregister_mem(struct mem_range *memp)
{
	int error = ENOENT;

	pthread_rwlock_wrlock(&lock);
	for (int i = 0; i < ranges.n; i++) {
		struct mem_range *r = &ranges.r[i];

		if (r->base != memp->base || r->size != memp->size)
			continue;
		if (r->flags & MEM_F_IMMUTABLE) {
			error = EPERM;
			break;
		}
		*r = ranges.r[--ranges.n];
		error = 0;
		break;
	}
	pthread_rwlock_unlock(&lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

static const struct mem_range *
find(const struct mem_list *l, uint64_t gpa)
{
	for (int i = 0; i < l->n; i++)
		if (gpa >= l->r[i].base && gpa - l->r[i].base < l->r[i].size)
			return (&l->r[i]);
	return (NULL);
}

/* MEM_UNHANDLED when no range claims gpa. */
static int
access_mem(struct vcpu *vcpu, uint64_t gpa, int dir, int size, uint64_t *val)
{
	const struct mem_range *r;
	int error;

	struct mem_range copy;

	pthread_rwlock_rdlock(&lock);
	r = find(&ranges, gpa);
	if (r == NULL)
		r = find(&fallback, gpa);
	if (r == NULL) {
		pthread_rwlock_unlock(&lock);
		return (MEM_UNHANDLED);
	}
	copy = *r;
	/*
	 * Immutable ranges never go away, so their handlers run unlocked:
	 * PCI config space (ECAM) handlers move BARs, i.e. (un)register.
	 */
	if (copy.flags & MEM_F_IMMUTABLE)
		pthread_rwlock_unlock(&lock);
	error = copy.handler(vcpu, dir, gpa, size, val, copy.arg1,
	    copy.arg2) == 0 ? 0 : -1;
	if ((copy.flags & MEM_F_IMMUTABLE) == 0)
		pthread_rwlock_unlock(&lock);
	return (error);
}

int
read_mem(struct vcpu *vcpu, uint64_t gpa, uint64_t *rval, int size)
{
	return (access_mem(vcpu, gpa, MEM_F_READ, size, rval) == 0 ? 0 : -1);
}

int
write_mem(struct vcpu *vcpu, uint64_t gpa, uint64_t wval, int size)
{
	return (access_mem(vcpu, gpa, MEM_F_WRITE, size, &wval) == 0 ? 0 : -1);
}

int
emulate_mmio(struct vcpu *vcpu, struct vm_exit *vme)
{
	uint64_t val = vme->u.mmio.data;
	int error;

	error = access_mem(vcpu, vme->u.mmio.gpa,
	    vme->u.mmio.read ? MEM_F_READ : MEM_F_WRITE, vme->u.mmio.bytes,
	    &val);
	if (error == 0 && vme->u.mmio.read)
		vme->u.mmio.data = val;
	return (error);
}
