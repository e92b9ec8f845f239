/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-engine platform: creates the interrupt controllers and timers
 * of a PC, wires their interrupt lines (vdev_intr), routes deliveries
 * between local APICs and dispatches guest port/MMIO/MSR accesses.
 *
 * Locking: the platform has no lock of its own.  Everything in struct
 * vplatform is set at creation (or by vplatform_reset(), which runs with
 * no vCPU running) and read-only otherwise, except the atomics and `src`
 * (each vCPU's entry is touched by its own thread only).  Devices lock
 * themselves; the order is vatpit/vrtc/vhpet -> vatpic -> vioapic ->
 * vlapic -> callout wheel, never the reverse (vlapics call out only
 * after dropping their lock).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/io/vatpic.h"
#include "vmm/io/vatpit.h"
#include "vmm/io/vhpet.h"
#include "vmm/io/vioapic.h"
#include "vmm/io/vlapic.h"
#include "vmm/io/vplatform.h"
#include "vmm/io/vpmtmr.h"
#include "vmm/io/vrtc.h"

#define	VPLAT_MAX_PIO		12
#define	VPLAT_MAX_MMIO		4

/* MSI address/data (SDM Vol 3A 10.11.1, 10.11.2). */
#define	MSI_ADDR_MASK		(~0xFFFFFull)	/* 63:20 must be 0xFEE */
#define	MSI_ADDR_BASE		0xFEE00000ull
#define	MSI_ADDR_DEST(a)	((uint32_t)(((a) >> 12) & 0xFF))
#define	MSI_ADDR_RH		(1ull << 3)
#define	MSI_ADDR_DM		(1ull << 2)
#define	MSI_DATA_VECTOR(d)	((int)((d) & 0xFF))
#define	MSI_DATA_DELMODE(d)	((int)(((d) >> 8) & 7))

enum intr_src { SRC_NONE, SRC_LAPIC, SRC_ATPIC };

struct pio_ent {
	uint16_t	port;
	uint16_t	count;
	vdev_pio_fn	fn;
	void		*dev;
};

struct mmio_ent {
	uint64_t	gpa;
	uint64_t	len;
	vdev_mmio_fn	fn;
	void		*dev;
};

/* A delivery to local APICs, from an IPI, the IOAPIC or an MSI. */
struct dlv {
	int		src;		/* sending vCPU, -1 for devices */
	int		shorthand;	/* APIC_DEST_* */
	uint32_t	dest;
	bool		logical;
	bool		x2apic;		/* dest in x2APIC format */
	int		delmode;
	int		vector;
	bool		level;
};

struct vplatform {
	int			ncpus;
	struct vplatform_ops	ops;
	struct vdev_clock	clk;
	struct vdev_intr	intr;		/* lines, arg = this */
	struct vcallout_wheel	*wheel;
	struct vlapic		**lapic;	/* [ncpus] */
	struct vioapic		*ioapic;
	struct vatpic		*atpic;
	struct vatpit		*atpit;
	struct vrtc		*rtc;
	struct vhpet		*hpet;
	struct vpmtmr		*pmtmr;
	struct pio_ent		pio[VPLAT_MAX_PIO];
	int			npio;
	struct mmio_ent		mmio[VPLAT_MAX_MMIO];
	int			nmmio;
	uint8_t			*src;		/* [ncpus], enum intr_src */
	_Atomic unsigned	lowprio_rr;	/* lowest-priority ties */
	_Atomic uint64_t	bad_msi;
	_Atomic uint64_t	bad_dlv;	/* SMI and reserved modes */
};

static uint64_t
host_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

static bool
vcpu_valid(const struct vplatform *p, int vcpu)
{
	return (vcpu >= 0 && vcpu < p->ncpus);
}

static void
notify(struct vplatform *p, int vcpu)
{
	int i;

	if (p->ops.notify == NULL)
		return;
	if (vcpu >= 0) {
		p->ops.notify(p->ops.arg, vcpu);
		return;
	}
	for (i = 0; i < p->ncpus; i++)
		p->ops.notify(p->ops.arg, i);
}

/* ---- Delivery to local APICs ---- */

static bool
is_target(struct vplatform *p, int i, const struct dlv *d)
{
	switch (d->shorthand) {
	case APIC_DEST_SELF:
		return (i == d->src);
	case APIC_DEST_ALLISELF:
		return (true);
	case APIC_DEST_ALLESELF:
		return (i != d->src);
	default:
		return (vlapic_match_dest(p->lapic[i], d->dest, d->logical,
		    d->x2apic));
	}
}

/*
 * Lowest priority (SDM 10.6.2.4): the target with the lowest TPR; ties
 * go round-robin from a cursor advanced on every such delivery.
 */
static int
lowprio_pick(struct vplatform *p, const struct dlv *d)
{
	unsigned start = atomic_fetch_add(&p->lowprio_rr, 1);
	int k, i, pri, best = -1, bestpri = INT_MAX;

	for (k = 0; k < p->ncpus; k++) {
		i = (int)((start + (unsigned)k) % (unsigned)p->ncpus);
		if (!is_target(p, i, d))
			continue;
		pri = vlapic_arb_priority(p->lapic[i]);
		if (pri < bestpri) {
			best = i;
			bestpri = pri;
		}
	}
	return (best);
}

static void
deliver_one(struct vplatform *p, int i, const struct dlv *d)
{
	switch (d->delmode) {
	case APIC_DELMODE_FIXED:
	case APIC_DELMODE_LOWPRIO:
	case APIC_DELMODE_NMI:
	case APIC_DELMODE_EXTINT:
		vlapic_deliver(p->lapic[i], d->delmode, d->vector, d->level);
		break;
	case APIC_DELMODE_INIT:
		/* INIT resets the APIC but keeps its ID and base (10.4.7.3). */
		vlapic_reset(p->lapic[i], true);
		if (p->ops.init_ipi != NULL)
			p->ops.init_ipi(p->ops.arg, i);
		break;
	case APIC_DELMODE_STARTUP:
		if (p->ops.sipi != NULL)
			p->ops.sipi(p->ops.arg, i, d->vector & 0xFF);
		break;
	default:
		atomic_fetch_add(&p->bad_dlv, 1);
		break;
	}
}

static void
deliver(struct vplatform *p, const struct dlv *d)
{
	int i;

	if (d->delmode == APIC_DELMODE_LOWPRIO) {
		if ((i = lowprio_pick(p, d)) >= 0)
			deliver_one(p, i, d);
		return;
	}
	for (i = 0; i < p->ncpus; i++) {
		if (is_target(p, i, d))
			deliver_one(p, i, d);
	}
}

/* ---- Callbacks from the devices ---- */

static void
lapic_ipi_cb(void *arg, const struct vlapic_ipi *ipi)
{
	struct dlv d = {
		.src = ipi->src, .shorthand = ipi->shorthand,
		.dest = ipi->dest, .logical = ipi->logical,
		.x2apic = ipi->x2apic, .delmode = ipi->delmode,
		.vector = ipi->vector, .level = ipi->level,
	};

	deliver(arg, &d);
}

static void
eoi_cb(void *arg, int vector)
{
	struct vplatform *p = arg;

	vioapic_eoi(p->ioapic, vector);
}

static void
notify_cb(void *arg, int vcpu)
{
	notify(arg, vcpu);
}

static uint64_t
tsc_cb(void *arg, int vcpu)
{
	struct vplatform *p = arg;

	return (p->ops.tsc(p->ops.arg, vcpu));
}

static void
isa_cb(void *arg, int atpic_irq, int ioapic_pin, enum vdev_irq_op op)
{
	vplatform_isa_irq(arg, atpic_irq, ioapic_pin, op);
}

static void
ioapic_cb(void *arg, int pin, enum vdev_irq_op op)
{
	struct vplatform *p = arg;

	vioapic_set_irq(p->ioapic, pin, op);
}

static void
msi_cb(void *arg, uint64_t addr, uint64_t data)
{
	vplatform_msi(arg, addr, data);
}

/*
 * The 8259's INTR output: LINT0 of the local APICs and, as in bhyve, a
 * pulse on IOAPIC pin 0 (for guests that route it as ExtINT there).
 */
static void
lapic_local_cb(void *arg, int vcpu, int lvt_pin)
{
	struct vplatform *p = arg;

	vplatform_lapic_local_irq(p, vcpu, lvt_pin);
	if (lvt_pin == VLAPIC_LVT_LINT0)
		vioapic_pulse(p->ioapic, 0);
}

static void
lapic_deliver_cb(void *arg, uint32_t dest, bool logical, int delmode,
    int vector, bool level)
{
	struct dlv d = {
		.src = -1, .shorthand = APIC_DEST_NOSHORTHAND, .dest = dest,
		.logical = logical, .x2apic = false, .delmode = delmode,
		.vector = vector, .level = level,
	};

	deliver(arg, &d);
}

/* ---- Creation ---- */

static void
add_pio(struct vplatform *p, uint16_t port, uint16_t count, vdev_pio_fn fn,
    void *dev)
{
	if (dev == NULL || p->npio >= VPLAT_MAX_PIO)
		return;
	p->pio[p->npio++] = (struct pio_ent){ port, count, fn, dev };
}

static void
add_mmio(struct vplatform *p, uint64_t gpa, uint64_t len, vdev_mmio_fn fn,
    void *dev)
{
	if (dev == NULL || p->nmmio >= VPLAT_MAX_MMIO)
		return;
	p->mmio[p->nmmio++] = (struct mmio_ent){ gpa, len, fn, dev };
}

static int
create_lapics(struct vplatform *p)
{
	struct vlapic_ops lops = {
		.arg = p, .ipi = lapic_ipi_cb, .eoi = eoi_cb,
		.notify = notify_cb,
		.tsc = p->ops.tsc != NULL ? tsc_cb : NULL,
		.tsc_hz = p->ops.tsc != NULL ? p->ops.tsc_hz : 0,
	};
	int i;

	p->lapic = calloc((size_t)p->ncpus, sizeof(*p->lapic));
	p->src = calloc((size_t)p->ncpus, sizeof(*p->src));
	if (p->lapic == NULL || p->src == NULL)
		return (-ENOMEM);
	for (i = 0; i < p->ncpus; i++) {
		p->lapic[i] = vlapic_create(i, i == 0, p->wheel, &lops);
		if (p->lapic[i] == NULL)
			return (-ENOMEM);
	}
	return (0);
}

/* The port table, rebuilt whenever a port device is (re)created. */
static void
fill_pio(struct vplatform *p)
{
	p->npio = 0;
	add_pio(p, VATPIC_MASTER_PORT, 2, vatpic_pio, p->atpic);
	add_pio(p, VATPIC_SLAVE_PORT, 2, vatpic_pio, p->atpic);
	add_pio(p, VATPIC_ELCR_PORT, 2, vatpic_elcr_pio, p->atpic);
	add_pio(p, VATPIT_PORT_BASE, VATPIT_NPORTS, vatpit_pio, p->atpit);
	add_pio(p, VATPIT_NMISC_PORT, 1, vatpit_nmisc_pio, p->atpit);
	add_pio(p, VRTC_INDEX_PORT, 2, vrtc_pio, p->rtc);
	add_pio(p, VPMTMR_PORT, VPMTMR_NPORTS, vpmtmr_pio, p->pmtmr);
}

/* The 8259 pair and the 8254: created anew at creation and reset. */
static int
create_legacy(struct vplatform *p)
{
	p->atpic = vatpic_create(&p->intr);
	p->atpit = vatpit_create(&p->clk, p->wheel, &p->intr);
	if (p->atpic == NULL || p->atpit == NULL)
		return (-ENOMEM);
	return (0);
}

static void
destroy_legacy(struct vplatform *p)
{
	vatpit_destroy(p->atpit);
	vatpic_destroy(p->atpic);
	p->atpit = NULL;
	p->atpic = NULL;
}

static int
create_devices(struct vplatform *p)
{
	p->ioapic = vioapic_create(&p->intr);
	p->rtc = vrtc_create(&p->clk, p->wheel, &p->intr);
	p->hpet = vhpet_create(&p->clk, p->wheel, &p->intr);
	p->pmtmr = vpmtmr_create(&p->clk);
	if (p->ioapic == NULL || p->rtc == NULL || p->hpet == NULL ||
	    p->pmtmr == NULL || create_legacy(p) != 0)
		return (-ENOMEM);
	add_mmio(p, VIOAPIC_BASE, VIOAPIC_SIZE, vioapic_mmio_handler,
	    p->ioapic);
	add_mmio(p, VHPET_BASE, VHPET_SIZE, vhpet_mmio, p->hpet);
	fill_pio(p);
	return (0);
}

struct vplatform *
vplatform_create_cfg(int ncpus, const struct vplatform_ops *ops,
    const struct vplatform_config *cfg)
{
	struct vplatform *p;

	if (ncpus <= 0 || ops == NULL)
		return (NULL);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return (NULL);
	p->ncpus = ncpus;
	p->ops = *ops;
	if (p->ops.tsc_hz == 0)
		p->ops.tsc = NULL;
	if (cfg != NULL && cfg->clock != NULL)
		p->clk = *cfg->clock;
	else
		p->clk = (struct vdev_clock){ host_now, NULL };
	p->intr = (struct vdev_intr){
		.arg = p, .isa = isa_cb, .ioapic = ioapic_cb, .msi = msi_cb,
		.lapic_local = lapic_local_cb,
		.lapic_deliver = lapic_deliver_cb, .eoi = eoi_cb,
		.notify = notify_cb,
	};
	if (cfg != NULL && cfg->manual_timers)
		p->wheel = vcallout_wheel_create_manual(&p->clk);
	else
		p->wheel = vcallout_wheel_create(&p->clk);
	if (p->wheel == NULL || create_lapics(p) != 0 ||
	    create_devices(p) != 0) {
		vplatform_destroy(p);
		return (NULL);
	}
	return (p);
}

struct vplatform *
vplatform_create(int ncpus, const struct vplatform_ops *ops)
{
	return (vplatform_create_cfg(ncpus, ops, NULL));
}

void
vplatform_destroy(struct vplatform *p)
{
	int i;

	if (p == NULL)
		return;
	/* Devices own callouts: they go before the wheel. */
	vpmtmr_destroy(p->pmtmr);
	vhpet_destroy(p->hpet);
	vrtc_destroy(p->rtc);
	destroy_legacy(p);
	vioapic_destroy(p->ioapic);
	for (i = 0; p->lapic != NULL && i < p->ncpus; i++)
		vlapic_destroy(p->lapic[i]);
	vcallout_wheel_destroy(p->wheel);
	free(p->lapic);
	free(p->src);
	free(p);
}

/*
 * Guest reset: every controller back to power-on state, except the RTC
 * (time and NVRAM survive a reset, as on a PC).  The 8259 and 8254 are
 * simply created anew.  Only while no vCPU runs.
 */
int
vplatform_reset(struct vplatform *p)
{
	int i;

	for (i = 0; i < p->ncpus; i++) {
		vlapic_reset(p->lapic[i], false);
		p->src[i] = SRC_NONE;
	}
	vioapic_reset(p->ioapic);
	vhpet_reset(p->hpet);
	/*
	 * Reset the 8259 pair and the 8254 in place: RTC and HPET callouts
	 * may fire on the timer thread meanwhile and must find the 8259
	 * alive, with the levels of lines still asserted (RTC IRQ 8) kept.
	 */
	vatpit_reset(p->atpit);
	vatpic_reset(p->atpic);
	return (0);
}

int
vplatform_ncpus(const struct vplatform *p)
{
	return (p->ncpus);
}

int
vplatform_run_timers(struct vplatform *p)
{
	return (vcallout_wheel_run_due(p->wheel));
}

/* ---- Guest accesses ---- */

int
vplatform_pio(struct vplatform *p, int vcpu, bool in, uint16_t port,
    unsigned bytes, uint32_t *val)
{
	const struct pio_ent *e;
	int i;

	for (i = 0; i < p->npio; i++) {
		e = &p->pio[i];
		if (port < e->port || port - e->port >= e->count)
			continue;
		if (e->fn(e->dev, vcpu, in, port, bytes, val) != 0 && in)
			*val = bytes >= 4 ? 0xFFFFFFFF :
			    (1u << (8 * bytes)) - 1;
		return (0);
	}
	return (-ENOENT);
}

int
vplatform_pio_handler(void *dev, int vcpu, bool in, uint16_t port,
    unsigned bytes, uint32_t *val)
{
	return (vplatform_pio(dev, vcpu, in, port, bytes, val));
}

static bool
in_page(uint64_t gpa, uint64_t base)
{
	return (gpa >= base && gpa - base < VLAPIC_PAGE_SIZE);
}

int
vplatform_mmio(struct vplatform *p, int vcpu, bool write, uint64_t gpa,
    unsigned bytes, uint64_t *val)
{
	const struct mmio_ent *e;
	uint64_t base;
	int i;

	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	/*
	 * This vCPU's own APIC page (SDM 10.4.1), wherever IA32_APIC_BASE
	 * put it.  The default page stays claimed when the APIC moved away
	 * or is off (x2APIC mode, disabled): it reads all-ones there.
	 */
	base = vlapic_mmio_base(p->lapic[vcpu]);
	if (in_page(gpa, base)) {
		if (vlapic_mmio(p->lapic[vcpu], write, gpa - base, bytes,
		    val) != 0 && !write)
			*val = ~0ull;
		return (0);
	}
	if (in_page(gpa, VLAPIC_DEFAULT_BASE)) {
		if (!write)
			*val = bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
		return (0);
	}
	for (i = 0; i < p->nmmio; i++) {
		e = &p->mmio[i];
		if (gpa < e->gpa || gpa - e->gpa >= e->len)
			continue;
		if (e->fn(e->dev, vcpu, write, gpa, bytes, val) != 0 &&
		    !write)
			*val = ~0ull;
		return (0);
	}
	return (-ENOENT);
}

int
vplatform_mmio_handler(void *dev, int vcpu, bool write, uint64_t gpa,
    unsigned bytes, uint64_t *val)
{
	return (vplatform_mmio(dev, vcpu, write, gpa, bytes, val));
}

int
vplatform_port_range(struct vplatform *p, int idx, uint16_t *port,
    uint32_t *count)
{
	if (idx < 0 || idx >= p->npio)
		return (-ENOENT);
	*port = p->pio[idx].port;
	*count = p->pio[idx].count;
	return (0);
}

int
vplatform_mmio_range(struct vplatform *p, int idx, uint64_t *gpa,
    uint64_t *len)
{
	if (idx == 0) {
		*gpa = VLAPIC_DEFAULT_BASE;
		*len = VLAPIC_PAGE_SIZE;
		return (0);
	}
	if (idx < 0 || idx - 1 >= p->nmmio)
		return (-ENOENT);
	*gpa = p->mmio[idx - 1].gpa;
	*len = p->mmio[idx - 1].len;
	return (0);
}

int
vplatform_rdmsr(struct vplatform *p, int vcpu, uint32_t msr, uint64_t *val)
{
	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	return (vlapic_rdmsr(p->lapic[vcpu], msr, val));
}

int
vplatform_wrmsr(struct vplatform *p, int vcpu, uint32_t msr, uint64_t val)
{
	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	return (vlapic_wrmsr(p->lapic[vcpu], msr, val));
}

uint64_t
vplatform_get_cr8(struct vplatform *p, int vcpu)
{
	if (!vcpu_valid(p, vcpu))
		return (0);
	return (vlapic_get_cr8(p->lapic[vcpu]));
}

void
vplatform_set_cr8(struct vplatform *p, int vcpu, uint64_t cr8)
{
	if (vcpu_valid(p, vcpu))
		vlapic_set_cr8(p->lapic[vcpu], cr8);
}

/* ---- Interrupt acknowledge ---- */

/*
 * ExtINT: the vector comes from the 8259 (its INTA cycle).  The APIC's
 * ExtINT flag stays up while the 8259 has something, since it signals
 * only the rising edge of INTR; it is dropped when the 8259 is quiet
 * (checked again after dropping, against a racing new request).
 */
static bool
extint_pending(struct vplatform *p, struct vlapic *vl, int *vector)
{
	if (p->atpic == NULL || !vlapic_extint_pending(vl))
		return (false);
	if (vatpic_pending_intr(p->atpic, vector))
		return (true);
	vlapic_extint_clear(vl);
	if (!vatpic_pending_intr(p->atpic, vector))
		return (false);
	vlapic_extint_set(vl);
	return (true);
}

bool
vplatform_pending_intr(struct vplatform *p, int vcpu, int *vector)
{
	struct vlapic *vl;

	if (!vcpu_valid(p, vcpu))
		return (false);
	vl = p->lapic[vcpu];
	p->src[vcpu] = SRC_NONE;
	if (vlapic_pending_intr(vl, vector)) {
		p->src[vcpu] = SRC_LAPIC;
		return (true);
	}
	if (extint_pending(p, vl, vector)) {
		p->src[vcpu] = SRC_ATPIC;
		return (true);
	}
	return (false);
}

void
vplatform_intr_accepted(struct vplatform *p, int vcpu, int vector)
{
	if (!vcpu_valid(p, vcpu))
		return;
	if (p->src[vcpu] == SRC_ATPIC && p->atpic != NULL)
		vatpic_intr_accepted(p->atpic, vector);
	else
		vlapic_intr_accepted(p->lapic[vcpu], vector);
	p->src[vcpu] = SRC_NONE;
}

bool
vplatform_nmi_pending(struct vplatform *p, int vcpu)
{
	return (vcpu_valid(p, vcpu) && vlapic_nmi_pending(p->lapic[vcpu]));
}

void
vplatform_nmi_accepted(struct vplatform *p, int vcpu)
{
	if (vcpu_valid(p, vcpu))
		vlapic_nmi_clear(p->lapic[vcpu]);
}

/* ---- Injection API ---- */

int
vplatform_lapic_irq(struct vplatform *p, int vcpu, int vector)
{
	if (!vcpu_valid(p, vcpu) || vector < 16 || vector > 255)
		return (-EINVAL);
	vlapic_set_intr_ready(p->lapic[vcpu], vector, false);
	return (0);
}

int
vplatform_lapic_local_irq(struct vplatform *p, int vcpu, int lvt)
{
	int i;

	if (lvt < 0 || lvt >= VLAPIC_NLVT || (vcpu != -1 &&
	    !vcpu_valid(p, vcpu)))
		return (-EINVAL);
	for (i = 0; i < p->ncpus; i++) {
		if (vcpu == -1 || vcpu == i)
			vlapic_trigger_lvt(p->lapic[i], (enum vlapic_lvt)lvt);
	}
	return (0);
}

/*
 * MSI (SDM 10.11): address 0xFEExxxxx with the destination in bits
 * 19:12, interpreted as a logical destination when DM (bit 2) is set.
 * RH (bit 3) only selects redirection among the destinations; with RH
 * clear DM still picks the destination mode, as chipsets do: Linux in
 * flat logical mode sends RH=0 DM=1 (PCI MSI and HPET FSB messages,
 * HPET spec 2.3.9.2.3 / 2.6) and expects logical delivery.  Always
 * edge-triggered.  STARTUP is not a valid MSI delivery mode.
 */
int
vplatform_msi(struct vplatform *p, uint64_t addr, uint64_t data)
{
	struct dlv d;

	if ((addr & MSI_ADDR_MASK) != MSI_ADDR_BASE ||
	    MSI_DATA_DELMODE(data) == APIC_DELMODE_STARTUP) {
		atomic_fetch_add(&p->bad_msi, 1);
		return (-EINVAL);
	}
	d = (struct dlv){
		.src = -1, .shorthand = APIC_DEST_NOSHORTHAND,
		.dest = MSI_ADDR_DEST(addr),
		.logical = (addr & MSI_ADDR_DM) != 0,
		.x2apic = false, .delmode = MSI_DATA_DELMODE(data),
		.vector = MSI_DATA_VECTOR(data), .level = false,
	};
	deliver(p, &d);
	return (0);
}

int
vplatform_ioapic_irq(struct vplatform *p, int pin, enum vdev_irq_op op)
{
	return (vioapic_set_irq(p->ioapic, pin, op));
}

int
vplatform_ioapic_pincount(struct vplatform *p)
{
	return (vioapic_pincount());
}

static int
atpic_set_irq(struct vplatform *p, int irq, enum vdev_irq_op op)
{
	if (p->atpic == NULL)
		return (-ENODEV);
	switch (op) {
	case VDEV_IRQ_ASSERT:
		return (vatpic_assert_irq(p->atpic, irq));
	case VDEV_IRQ_DEASSERT:
		return (vatpic_deassert_irq(p->atpic, irq));
	case VDEV_IRQ_PULSE:
		return (vatpic_pulse_irq(p->atpic, irq));
	default:
		return (-EINVAL);
	}
}

/* bhyve's vm_isa_*_irq: either number may be -1 for "not wired". */
int
vplatform_isa_irq(struct vplatform *p, int atpic_irq, int ioapic_pin,
    enum vdev_irq_op op)
{
	int e1 = 0, e2 = 0;

	if (atpic_irq < -1 || atpic_irq >= VATPIC_NIRQ || ioapic_pin < -1 ||
	    ioapic_pin >= VIOAPIC_NPINS || (unsigned)op > VDEV_IRQ_PULSE)
		return (-EINVAL);
	if (atpic_irq >= 0)
		e1 = atpic_set_irq(p, atpic_irq, op);
	if (ioapic_pin >= 0)
		e2 = vioapic_set_irq(p->ioapic, ioapic_pin, op);
	return (e1 != 0 ? e1 : e2);
}

int
vplatform_isa_set_irq_trigger(struct vplatform *p, int irq, bool level)
{
	if (p->atpic == NULL)
		return (-ENODEV);
	return (vatpic_set_irq_trigger(p->atpic, irq, level));
}

int
vplatform_inject_nmi(struct vplatform *p, int vcpu)
{
	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	vlapic_deliver(p->lapic[vcpu], APIC_DELMODE_NMI, 0, false);
	return (0);
}

int
vplatform_set_x2apic_state(struct vplatform *p, int vcpu, bool on)
{
	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	vlapic_set_x2apic_allowed(p->lapic[vcpu], on);
	return (0);
}

int
vplatform_get_x2apic_state(struct vplatform *p, int vcpu, bool *on)
{
	if (!vcpu_valid(p, vcpu))
		return (-EINVAL);
	*on = vlapic_x2apic_allowed(p->lapic[vcpu]);
	return (0);
}

int
vplatform_apicid2vcpu(struct vplatform *p, uint32_t apicid)
{
	if (apicid >= (uint32_t)p->ncpus)
		return (-EINVAL);
	return ((int)apicid);
}

uint64_t
vplatform_bad_msi(struct vplatform *p)
{
	return (atomic_load(&p->bad_msi));
}

/* ---- Save/restore ---- */

int
vplatform_snapshot(struct vplatform *p, int idx, struct vdev_snap *s)
{
	if (idx < 0)
		return (-ENOENT);
	if (idx < p->ncpus)
		return (vlapic_snapshot(p->lapic[idx], s));
	switch (idx - p->ncpus) {
	case 0:
		return (vioapic_snapshot(p->ioapic, s));
	case 1:
		return (vatpic_snapshot(p->atpic, s));
	case 2:
		return (vatpit_snapshot(p->atpit, s));
	case 3:
		return (vrtc_snapshot(p->rtc, s));
	case 4:
		return (vhpet_snapshot(p->hpet, s));
	case 5:
		return (vpmtmr_snapshot(p->pmtmr, s));
	default:
		return (-ENOENT);
	}
}

int
vplatform_restore(struct vplatform *p, int idx, const struct vdev_snap *s)
{
	if (idx < 0)
		return (-ENOENT);
	if (idx < p->ncpus)
		return (vlapic_restore(p->lapic[idx], s));
	switch (idx - p->ncpus) {
	case 0:
		return (vioapic_restore(p->ioapic, s));
	case 1:
		return (vatpic_restore(p->atpic, s));
	case 2:
		return (vatpit_restore(p->atpit, s));
	case 3:
		return (vrtc_restore(p->rtc, s));
	case 4:
		return (vhpet_restore(p->hpet, s));
	case 5:
		return (vpmtmr_restore(p->pmtmr, s));
	default:
		return (-ENOENT);
	}
}

struct vlapic *
vplatform_vlapic(struct vplatform *p, int vcpu)
{
	return (vcpu_valid(p, vcpu) ? p->lapic[vcpu] : NULL);
}

struct vioapic *
vplatform_vioapic(struct vplatform *p)
{
	return (p->ioapic);
}

struct vatpic *
vplatform_vatpic(struct vplatform *p)
{
	return (p->atpic);
}

struct vatpit *
vplatform_vatpit(struct vplatform *p)
{
	return (p->atpit);
}

struct vrtc *
vplatform_vrtc(struct vplatform *p)
{
	return (p->rtc);
}

struct vhpet *
vplatform_vhpet(struct vplatform *p)
{
	return (p->hpet);
}

struct vpmtmr *
vplatform_vpmtmr(struct vplatform *p)
{
	return (p->pmtmr);
}
