/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pc-testdev (see pctestdev.h).  The debug-exit port records the status
 * and suspends the VM (power-off); bhyve_start_vm() then returns the
 * recorded status instead of 1 (firmware.c, bhyve_firmware_exit_status).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/pctestdev.h"
#include "bhyve/snapshot.h"
#include "libvmmapi/vmmapi.h"

struct pctestdev {
	struct vmctx	*ctx;
	_Atomic int	exit_status;
	pthread_mutex_t	mtx;		/* scratch, irq, mem */
	uint8_t		scratch[4];
	bool		irq[PCTESTDEV_NIRQ];
	uint8_t		*mem;
	struct inout_port iop[4];
	int		niop;
	struct mem_range mr;
	bool		mr_registered;
	struct snapshot_dev snap;
};

static uint32_t
width_mask(int bytes)
{
	return (bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1);
}

static void
set_irq(struct pctestdev *td, int n, bool level)
{
	if (td->irq[n] == level)
		return;
	td->irq[n] = level;
	if (td->ctx == NULL)
		return;
	if (n < 16) {
		if (level)
			(void)vm_isa_assert_irq(td->ctx, n, n);
		else
			(void)vm_isa_deassert_irq(td->ctx, n, n);
	} else {
		if (level)
			(void)vm_ioapic_assert_irq(td->ctx, n);
		else
			(void)vm_ioapic_deassert_irq(td->ctx, n);
	}
}

int
pctestdev_pio(struct pctestdev *td, int in, int port, int bytes,
    uint32_t *eax)
{
	int off;

	if (bytes != 1 && bytes != 2 && bytes != 4)
		return (-1);
	if (port >= PCTESTDEV_EXIT_PORT && port < PCTESTDEV_EXIT_PORT + 4) {
		int unset = -1;

		if (in) {
			*eax = 0;
			return (0);
		}
		if (atomic_compare_exchange_strong(&td->exit_status, &unset,
		    (int)((*eax & width_mask(bytes)) << 1 | 1)) &&
		    td->ctx != NULL)
			(void)vm_suspend(td->ctx, VM_SUSPEND_POWEROFF);
		return (0);
	}
	pthread_mutex_lock(&td->mtx);
	if (port >= PCTESTDEV_SCRATCH_PORT &&
	    port < PCTESTDEV_SCRATCH_PORT + 4) {
		off = port - PCTESTDEV_SCRATCH_PORT;
		if (in)
			*eax = 0;
		for (int i = 0; i < bytes && off + i < 4; i++) {
			if (in)
				*eax |= (uint32_t)td->scratch[off + i] <<
				    (8 * i);
			else
				td->scratch[off + i] = (uint8_t)(*eax >>
				    (8 * i));
		}
	} else if (port >= PCTESTDEV_IRQ_PORT &&
	    port < PCTESTDEV_IRQ_PORT + PCTESTDEV_NIRQ) {
		if (in)
			*eax = 0;
		else
			set_irq(td, port - PCTESTDEV_IRQ_PORT,
			    (*eax & width_mask(bytes)) != 0);
	} else if (in) {
		*eax = 0;			/* flush port */
	}
	pthread_mutex_unlock(&td->mtx);
	return (0);
}

/*
 * Accesses of 1-8 bytes; bytes outside the window (an access straddling
 * its end) read as 0xFF and are not written.
 */
int
pctestdev_mmio(struct pctestdev *td, int dir, uint64_t addr, int size,
    uint64_t *val)
{
	uint64_t off;

	if (size < 1 || size > 8)
		return (-1);
	pthread_mutex_lock(&td->mtx);
	if (dir == MEM_F_READ)
		*val = 0;
	for (int i = 0; i < size; i++) {
		off = addr + (uint64_t)i - PCTESTDEV_MEM_BASE;
		if (addr + (uint64_t)i < PCTESTDEV_MEM_BASE ||
		    off >= PCTESTDEV_MEM_SIZE) {
			if (dir == MEM_F_READ)
				*val |= (uint64_t)0xFF << (8 * i);
			continue;
		}
		if (dir == MEM_F_READ)
			*val |= (uint64_t)td->mem[off] << (8 * i);
		else
			td->mem[off] = (uint8_t)(*val >> (8 * i));
	}
	pthread_mutex_unlock(&td->mtx);
	return (0);
}

static int
td_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	(void)ctx;
	return (pctestdev_pio(arg, in, port, bytes, eax));
}

static int
td_mem(struct vcpu *vcpu, int dir, uint64_t addr, int size, uint64_t *val,
    void *arg1, long arg2)
{
	(void)vcpu;
	(void)arg2;
	return (pctestdev_mmio(arg1, dir, addr, size, val));
}

/*
 * Save and restore (snapshot.h): record "pc-testdev" version 1 holds the
 * scratch register, the IRQ line levels (bit n: line n), the 64 KiB of
 * MMIO memory and the debug-exit status (-1 until written).
 */
#define	PCTESTDEV_SNAP_VERSION	1

static int
td_snapshot(void *arg, struct snap_rec *r)
{
	struct pctestdev *td = arg;
	uint64_t irqs = 0;

	pthread_mutex_lock(&td->mtx);
	snap_rec_set_version(r, PCTESTDEV_SNAP_VERSION);
	for (int i = 0; i < PCTESTDEV_NIRQ; i++)
		irqs |= (uint64_t)td->irq[i] << i;
	(void)snap_put_blob(r, "scratch", td->scratch, sizeof(td->scratch));
	(void)snap_put_u64(r, "irq", irqs);
	(void)snap_put_blob(r, "mem", td->mem, PCTESTDEV_MEM_SIZE);
	(void)snap_put_u64(r, "exit_status",
	    (uint32_t)atomic_load(&td->exit_status));
	pthread_mutex_unlock(&td->mtx);
	return (snap_rec_status(r));
}

static int
td_restore(void *arg, struct snap_rec *r)
{
	struct pctestdev *td = arg;
	uint8_t scratch[sizeof(td->scratch)];
	const uint8_t *mem = NULL;
	size_t len = 0;
	uint64_t irqs = 0, st = 0;
	int error;

	error = snap_check_version(r, 1, PCTESTDEV_SNAP_VERSION);
	if (error == 0)
		error = snap_get_blob_exact(r, "scratch", scratch,
		    sizeof(scratch));
	if (error == 0)
		error = snap_get_bits(r, "irq", (1u << PCTESTDEV_NIRQ) - 1,
		    &irqs);
	if (error == 0)
		error = snap_get_blob(r, "mem", &mem, &len);
	if (error == 0 && len != PCTESTDEV_MEM_SIZE)
		error = snap_fail(r, -EINVAL, "mem has %zu bytes, expected "
		    "%ju", len, (uintmax_t)PCTESTDEV_MEM_SIZE);
	/* (V << 1) | 1 as an int, or -1: always odd. */
	if (error == 0)
		error = snap_get_range(r, "exit_status", 0, UINT32_MAX, &st);
	if (error == 0 && (st & 1) == 0)
		error = snap_fail(r, -EINVAL, "exit_status %#jx is not a "
		    "status the device makes", (uintmax_t)st);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&td->mtx);
	memcpy(td->scratch, scratch, sizeof(scratch));
	/* Levels only: the interrupt controllers' records have the lines. */
	for (int i = 0; i < PCTESTDEV_NIRQ; i++)
		td->irq[i] = (irqs >> i) & 1;
	memcpy(td->mem, mem, PCTESTDEV_MEM_SIZE);
	atomic_store(&td->exit_status, (int)(uint32_t)st);
	pthread_mutex_unlock(&td->mtx);
	return (0);
}

struct pctestdev *
pctestdev_init(struct vmctx *ctx)
{
	static const struct { const char *name; int port, size; } ports[] = {
		{ "pc-testdev exit", PCTESTDEV_EXIT_PORT, 4 },
		{ "pc-testdev scratch", PCTESTDEV_SCRATCH_PORT, 4 },
		{ "pc-testdev flush", PCTESTDEV_FLUSH_PORT, 4 },
		{ "pc-testdev irq", PCTESTDEV_IRQ_PORT, PCTESTDEV_NIRQ },
	};
	struct pctestdev *td = calloc(1, sizeof(*td));

	if (td == NULL)
		return (NULL);
	td->ctx = ctx;
	atomic_init(&td->exit_status, -1);
	pthread_mutex_init(&td->mtx, NULL);
	td->mem = calloc(1, PCTESTDEV_MEM_SIZE);
	if (td->mem == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		td->iop[i] = (struct inout_port){ ports[i].name,
		    ports[i].port, ports[i].size, IOPORT_F_INOUT, td_io, td };
		if (register_inout(&td->iop[i]) != 0)
			goto fail;
		td->niop++;
	}
	td->mr = (struct mem_range){ "pc-testdev iomem", MEM_F_RW, td_mem,
	    td, 0, PCTESTDEV_MEM_BASE, PCTESTDEV_MEM_SIZE };
	if (register_mem(&td->mr) != 0)
		goto fail;
	td->mr_registered = true;
	td->snap = (struct snapshot_dev){ .id = "pc-testdev",
	    .dev = "pc-testdev", .save = td_snapshot, .restore = td_restore,
	    .arg = td };
	if (snapshot_register(&td->snap) != 0) {
		errno = EEXIST;
		goto fail;
	}
	return (td);
fail:
	{
		int error = errno;

		pctestdev_fini(td);
		errno = error;
	}
	return (NULL);
}

void
pctestdev_fini(struct pctestdev *td)
{
	if (td == NULL)
		return;
	snapshot_unregister(&td->snap);
	for (int i = 0; i < td->niop; i++)
		unregister_inout(&td->iop[i]);
	if (td->mr_registered)
		unregister_mem(&td->mr);
	free(td->mem);
	pthread_mutex_destroy(&td->mtx);
	free(td);
}

int
pctestdev_exit_status(struct pctestdev *td)
{
	return (td == NULL ? -1 : atomic_load(&td->exit_status));
}
