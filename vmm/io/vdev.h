/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What in-engine devices (vlapic vioapic vatpic vatpit vhpet vrtc vpmtmr)
 * share: handler signatures, time, timers, and the way they raise
 * interrupts.  A device never reaches into another's state: interrupts go
 * through struct vdev_intr callbacks that the platform (vplatform.c)
 * wires, so each device can be unit-tested alone with fake callbacks.
 */
#ifndef _VMM_IO_VDEV_H_
#define _VMM_IO_VDEV_H_

#include <stdbool.h>
#include <stdint.h>

/* Port and MMIO handlers: 0 handled, negative errno on a bad access
 * (the caller then treats it like an unclaimed port: reads all-ones). */
typedef int (*vdev_pio_fn)(void *dev, int vcpu, bool in, uint16_t port,
    unsigned bytes, uint32_t *val);
typedef int (*vdev_mmio_fn)(void *dev, int vcpu, bool write, uint64_t gpa,
    unsigned bytes, uint64_t *val);

/*
 * Time.  Device time comes from a clock the platform provides (host
 * CLOCK_MONOTONIC in the engine, a fake clock in unit tests), in ns.
 */
struct vdev_clock {
	uint64_t (*now_ns)(void *arg);
	void	*arg;
};

/*
 * Timers (vcallout.c): one thread per VM fires callbacks at absolute
 * deadlines of the clock above.  Callbacks run on the timer thread with
 * no device lock held: they take their device's lock themselves.
 * callout_stop() guarantees the callback is not running on return
 * (unless called from inside that callback).
 */
struct vcallout_wheel;
struct vcallout;
typedef void (*vcallout_fn)(void *arg);

struct vcallout_wheel *vcallout_wheel_create(const struct vdev_clock *clk);
void	vcallout_wheel_destroy(struct vcallout_wheel *w);
struct vcallout *vcallout_create(struct vcallout_wheel *w, vcallout_fn fn,
	    void *arg);
void	vcallout_destroy(struct vcallout *c);
void	vcallout_reset(struct vcallout *c, uint64_t deadline_ns);
void	vcallout_stop(struct vcallout *c);
bool	vcallout_pending(struct vcallout *c);
/*
 * Additions (vcallout.c):
 * - create_manual: a wheel without a thread, for unit tests with a fake
 *   clock; run_due() fires every callout whose deadline <= now, on the
 *   calling thread, and returns how many fired (manual wheels only: one
 *   thread at a time runs a wheel's callbacks).
 * - cancel: unlink a pending callout WITHOUT waiting for a running
 *   callback, so it may be called with the device lock held (stop() must
 *   not be, if the callback takes that lock).  A callback that raced with
 *   cancel still runs once: it must recheck its state under its lock.
 * - wheel_now: the wheel's clock.
 * Destroy every callout of a wheel before destroying the wheel.
 */
struct vcallout_wheel *vcallout_wheel_create_manual(
	    const struct vdev_clock *clk);
int	vcallout_wheel_run_due(struct vcallout_wheel *w);
uint64_t vcallout_wheel_now(const struct vcallout_wheel *w);
void	vcallout_cancel(struct vcallout *c);

/*
 * Interrupt lines, wired by the platform.  isa: legacy IRQ 0-15 to the
 * 8259 pair and the IOAPIC pin (-1 for none); ioapic: pin; msi: address
 * and data as a PCI MSI message; lapic_local: LVT pin (LINT0/LINT1).
 */
enum vdev_irq_op { VDEV_IRQ_DEASSERT, VDEV_IRQ_ASSERT, VDEV_IRQ_PULSE };
struct vdev_intr {
	void	*arg;
	void	(*isa)(void *arg, int atpic_irq, int ioapic_pin,
		    enum vdev_irq_op op);
	void	(*ioapic)(void *arg, int pin, enum vdev_irq_op op);
	void	(*msi)(void *arg, uint64_t addr, uint64_t data);
	void	(*lapic_local)(void *arg, int vcpu, int lvt_pin);
	/* deliver `vector` to the local APIC(s) named by dest/mode */
	void	(*lapic_deliver)(void *arg, uint32_t dest, bool logical,
		    int delmode, int vector, bool level);
	/* EOI of a level-triggered vector, broadcast to the IOAPIC */
	void	(*eoi)(void *arg, int vector);
	/* something became pending for vcpu (-1: all): wake/kick it */
	void	(*notify)(void *arg, int vcpu);
};

/*
 * Save/restore (DESIGN 7): a versioned, self-describing record of named
 * 64-bit fields.  The caller provides the field array (cap entries);
 * a device's snapshot fills dev/version and puts fields, its restore
 * checks dev/version and gets fields by name (order does not matter).
 * Times are stored relative to the clock's "now" at save time, so a
 * record restores under another clock base.
 */
#include <errno.h>
#include <string.h>

#define	VDEV_SNAP_NAMELEN	32
struct vdev_snap_field {
	char		name[VDEV_SNAP_NAMELEN];
	uint64_t	val;
};
struct vdev_snap {
	char		dev[16];	/* "vatpit", ... */
	uint32_t	version;	/* of that device's record */
	unsigned	n;		/* fields used */
	unsigned	cap;		/* fields available */
	struct vdev_snap_field *f;
};

static inline int
vdev_snap_put(struct vdev_snap *s, const char *name, uint64_t val)
{
	if (s->n >= s->cap || strlen(name) >= VDEV_SNAP_NAMELEN)
		return (-ENOSPC);
	strcpy(s->f[s->n].name, name);
	s->f[s->n].val = val;
	s->n++;
	return (0);
}

static inline int
vdev_snap_get(const struct vdev_snap *s, const char *name, uint64_t *val)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->f[i].name, name) == 0) {
			*val = s->f[i].val;
			return (0);
		}
	}
	return (-ENOENT);
}

#endif /* _VMM_IO_VDEV_H_ */
