/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI PM timer (ACPI 6.5 4.8.3.3): count = base + elapsed ticks of
 * 3.579545 MHz since base_ns, modulo 2^32 (TMR_VAL_EXT = 1).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vpmtmr.h"

#define	NS_PER_S	1000000000ull

struct vpmtmr {
	struct vdev_clock clk;
	/* mtx protects base and base_ns (changed only by restore). */
	pthread_mutex_t	mtx;
	uint32_t	base;
	uint64_t	base_ns;
	_Atomic uint64_t bad_access;	/* statistics */
};

static uint32_t
pm_count(struct vpmtmr *pm)
{
	uint64_t now = pm->clk.now_ns(pm->clk.arg), d;

	d = now > pm->base_ns ? now - pm->base_ns : 0;
	return (pm->base + (uint32_t)((unsigned __int128)d * VPMTMR_FREQ /
	    NS_PER_S));
}

uint32_t
vpmtmr_read(struct vpmtmr *pm)
{
	uint32_t v;

	pthread_mutex_lock(&pm->mtx);
	v = pm_count(pm);
	pthread_mutex_unlock(&pm->mtx);
	return (v);
}

int
vpmtmr_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
    uint32_t *val)
{
	struct vpmtmr *pm = dev;
	unsigned off = (unsigned)port - VPMTMR_PORT;
	uint32_t v;

	if (off >= VPMTMR_NPORTS || (bytes != 1 && bytes != 2 && bytes != 4) ||
	    off + bytes > VPMTMR_NPORTS) {
		pm->bad_access++;
		return (-EINVAL);
	}
	if (!in)
		return (0);	/* read-only register */
	v = vpmtmr_read(pm) >> (8 * off);
	*val = bytes == 4 ? v : v & ((1u << (8 * bytes)) - 1);
	return (0);
}

struct vpmtmr *
vpmtmr_create(const struct vdev_clock *clk)
{
	struct vpmtmr *pm;

	if (clk == NULL || clk->now_ns == NULL)
		return (NULL);
	pm = calloc(1, sizeof(*pm));
	if (pm == NULL)
		return (NULL);
	pm->clk = *clk;
	pthread_mutex_init(&pm->mtx, NULL);
	pm->base_ns = clk->now_ns(clk->arg);
	return (pm);
}

void
vpmtmr_destroy(struct vpmtmr *pm)
{
	if (pm == NULL)
		return;
	pthread_mutex_destroy(&pm->mtx);
	free(pm);
}

/* The record holds the count; it continues from there on restore. */
int
vpmtmr_snapshot(struct vpmtmr *pm, struct vdev_snap *s)
{
	snprintf(s->dev, sizeof(s->dev), "vpmtmr");
	s->version = VPMTMR_SNAP_VERSION;
	return (vdev_snap_put(s, "count", vpmtmr_read(pm)));
}

int
vpmtmr_restore(struct vpmtmr *pm, const struct vdev_snap *s)
{
	uint64_t v;

	if (strcmp(s->dev, "vpmtmr") != 0 ||
	    s->version != VPMTMR_SNAP_VERSION ||
	    vdev_snap_get(s, "count", &v) != 0 || v > UINT32_MAX)
		return (-EINVAL);
	pthread_mutex_lock(&pm->mtx);
	pm->base = (uint32_t)v;
	pm->base_ns = pm->clk.now_ns(pm->clk.arg);
	pthread_mutex_unlock(&pm->mtx);
	return (0);
}
