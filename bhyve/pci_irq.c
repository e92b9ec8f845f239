/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI INTx and the PIRQ router of the LPC bridge.
 *
 * INTA#-INTD# of a bus 0 device in slot s go to PIRQ link (s + pin) mod 8
 * (acpi_pci_link(): the DSDT _PRT and the MP table use the same rule).
 * Each PIRQ drives two inputs at once, so the guest works in either
 * interrupt mode:
 *   - PIC mode: the ISA IRQ in its router register (0x60-0x63 PIRQA-D,
 *     0x68-0x6B PIRQE-H; bit 7 disables, bits 3:0 the IRQ; as Intel's
 *     PIIX/ICH PIRQ Route Control registers);
 *   - APIC mode: IOAPIC pin 16 + n for PIRQ n.
 * PCI interrupts are level-triggered and shared: a PIRQ is asserted while
 * any device on it asserts its pin (wired-OR, PCI Local Bus 3.0 2.2.6).
 *
 * At startup each used PIRQ gets an IRQ from a small pool, marked level
 * in the ELCR, as a BIOS would leave it; the guest may reroute it (the
 * DSDT link devices' _SRS write the same registers).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/pci_emul.h"
#include "libvmmapi/vmmapi.h"

#define	PIRQ_REG_MASK	(PIRQ_DIS | PIRQ_IRQ)	/* bits 6:4 reserved */

/* IRQs handed out at startup: free of legacy devices and the SCI. */
static const int pirq_pool[] = { 10, 11, 5 };

static struct {
	pthread_mutex_t	lock;		/* everything below */
	struct vmctx	*ctx;
	struct {
		uint8_t	reg;
		int	active;		/* devices asserting */
		int	users;		/* devices routed here */
	} pirq[PIRQ_NUM];
} pr = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
pci_irq_init(struct vmctx *ctx)
{
	pthread_mutex_lock(&pr.lock);
	pr.ctx = ctx;
	for (int i = 0; i < PIRQ_NUM; i++) {
		pr.pirq[i].reg = PIRQ_DIS;
		pr.pirq[i].active = 0;
		pr.pirq[i].users = 0;
	}
	pthread_mutex_unlock(&pr.lock);
}

/* A routable ISA IRQ: not the timer, keyboard, cascade, RTC, FPU. */
static int
reg_irq(uint8_t reg)
{
	int irq = reg & PIRQ_IRQ;

	if ((reg & PIRQ_DIS) != 0 || irq < 3 || irq == 8 || irq == 13)
		return (0);
	return (irq);
}

/* Drive the two inputs of PIRQ n; lock held. */
static void
pirq_drive(int n, bool on)
{
	int irq = reg_irq(pr.pirq[n].reg), pin = PIRQ_IOAPIC_BASE + n;

	if (pr.ctx == NULL)
		return;
	if (irq != 0) {
		if (on)
			(void)vm_isa_assert_irq(pr.ctx, irq, pin);
		else
			(void)vm_isa_deassert_irq(pr.ctx, irq, pin);
	} else {
		if (on)
			(void)vm_ioapic_assert_irq(pr.ctx, pin);
		else
			(void)vm_ioapic_deassert_irq(pr.ctx, pin);
	}
}

uint8_t
pirq_read(int pirq)
{
	uint8_t v;

	if (pirq < 0 || pirq >= PIRQ_NUM)
		return (PIRQ_DIS);
	pthread_mutex_lock(&pr.lock);
	v = pr.pirq[pirq].reg;
	pthread_mutex_unlock(&pr.lock);
	return (v);
}

void
pirq_write(int pirq, uint8_t val)
{
	if (pirq < 0 || pirq >= PIRQ_NUM)
		return;
	pthread_mutex_lock(&pr.lock);
	val &= PIRQ_REG_MASK;
	if (val != pr.pirq[pirq].reg) {
		/* Move an asserted line: drop the old input, raise the new. */
		if (pr.pirq[pirq].active > 0)
			pirq_drive(pirq, false);
		pr.pirq[pirq].reg = val;
		if (pr.pirq[pirq].active > 0)
			pirq_drive(pirq, true);
	}
	pthread_mutex_unlock(&pr.lock);
}

int
pirq_irq(int pirq)
{
	return (reg_irq(pirq_read(pirq)));
}

/* The pool IRQ with the fewest PIRQs on it; lock held. */
static int
pirq_alloc_irq(void)
{
	int best = pirq_pool[0], bestn = PIRQ_NUM + 1;

	for (size_t i = 0; i < sizeof(pirq_pool) / sizeof(pirq_pool[0]);
	    i++) {
		int n = 0;

		for (int p = 0; p < PIRQ_NUM; p++)
			n += reg_irq(pr.pirq[p].reg) == pirq_pool[i];
		if (n < bestn) {
			best = pirq_pool[i];
			bestn = n;
		}
	}
	return (best);
}

int
pci_lintr_request(struct pci_devinst *pi)
{
	int pin, link, irq;

	if (pi->pi_lintr.pin != 0)
		return (0);
	/* Functions of a slot spread over INTA#-INTD#. */
	pin = 1 + pi->pi_func % 4;
	link = acpi_pci_link(pi->pi_slot, pin - 1);
	pthread_mutex_lock(&pr.lock);
	if (pr.pirq[link].users++ == 0 && reg_irq(pr.pirq[link].reg) == 0) {
		irq = pirq_alloc_irq();
		pr.pirq[link].reg = (uint8_t)irq;
		if (pr.ctx != NULL)
			(void)vm_isa_set_irq_trigger(pr.ctx, irq,
			    LEVEL_TRIGGER);
	}
	irq = reg_irq(pr.pirq[link].reg);
	pthread_mutex_unlock(&pr.lock);
	pthread_mutex_lock(&pi->pi_lock);
	pi->pi_lintr.pin = pin;
	pi->pi_lintr.link = link;
	pthread_mutex_unlock(&pi->pi_lock);
	pci_set_cfgdata8(pi, PCIR_INTPIN, (uint8_t)pin);
	pci_set_cfgdata8(pi, PCIR_INTLINE, (uint8_t)(irq != 0 ? irq : 0xff));
	return (0);
}

/* Should the device's pin state reach its PIRQ?  pi_lock held. */
static bool
lintr_want(const struct pci_devinst *pi)
{
	return (pi->pi_lintr.state && pi->pi_lintr.pin != 0 &&
	    (pci_get_cfgdata16(pi, PCIR_COMMAND) & PCIM_CMD_INTxDIS) == 0 &&
	    !pi->pi_msi.enabled && !pi->pi_msix.enabled);
}

/* Pass the device's pin state on, unless INTx is disabled; pi_lock. */
static void
lintr_update_locked(struct pci_devinst *pi)
{
	bool want = lintr_want(pi);
	int link = pi->pi_lintr.link;

	if (want == pi->pi_lintr.routed)
		return;
	pi->pi_lintr.routed = want;
	pthread_mutex_lock(&pr.lock);
	if (want) {
		if (pr.pirq[link].active++ == 0)
			pirq_drive(link, true);
	} else {
		if (--pr.pirq[link].active == 0)
			pirq_drive(link, false);
	}
	pthread_mutex_unlock(&pr.lock);
}

void
pci_lintr_update(struct pci_devinst *pi)
{
	pthread_mutex_lock(&pi->pi_lock);
	lintr_update_locked(pi);
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pci_lintr_assert(struct pci_devinst *pi)
{
	pthread_mutex_lock(&pi->pi_lock);
	pi->pi_lintr.state = true;
	lintr_update_locked(pi);
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pci_lintr_deassert(struct pci_devinst *pi)
{
	pthread_mutex_lock(&pi->pi_lock);
	pi->pi_lintr.state = false;
	lintr_update_locked(pi);
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pci_lintr_release(struct pci_devinst *pi)
{
	pthread_mutex_lock(&pi->pi_lock);
	pi->pi_lintr.state = false;
	lintr_update_locked(pi);
	if (pi->pi_lintr.pin != 0) {
		pthread_mutex_lock(&pr.lock);
		pr.pirq[pi->pi_lintr.link].users--;
		pthread_mutex_unlock(&pr.lock);
		pi->pi_lintr.pin = 0;
	}
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pci_lintr_restore(struct pci_devinst *pi, bool state)
{
	bool want;

	pthread_mutex_lock(&pi->pi_lock);
	pi->pi_lintr.state = state;
	want = lintr_want(pi);
	if (want != pi->pi_lintr.routed) {
		pthread_mutex_lock(&pr.lock);
		pr.pirq[pi->pi_lintr.link].active += want ? 1 : -1;
		pthread_mutex_unlock(&pr.lock);
		pi->pi_lintr.routed = want;
	}
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pirq_restore(int pirq, uint8_t val)
{
	if (pirq < 0 || pirq >= PIRQ_NUM)
		return;
	pthread_mutex_lock(&pr.lock);
	pr.pirq[pirq].reg = val & PIRQ_REG_MASK;
	pthread_mutex_unlock(&pr.lock);
}
