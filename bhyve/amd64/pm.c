/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reset control, ACPI PM1 registers and the power button (pm.h).
 *
 * References: Intel I/O Controller Hub (ICH10) datasheet 13.7.5 "RST_CNT
 * -- Reset Control Register" (port 0xCF9); ACPI 6.4 4.8.3 (PM1 event and
 * control registers, tables 4.16-4.19) and 7.4.2 (\_S5, SLP_TYPx).  The
 * FADT (bhyve/acpi.c) has SMI_CMD = 0: the machine is always in ACPI
 * mode, so PM1_CNT.SCI_EN reads as 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/amd64/pm.h"
#include "bhyve/inout.h"
#include "bhyve/snapshot.h"
#include "libvmmapi/vmmapi.h"

/* RST_CNT (ICH10 13.7.5). */
#define	RST_SYS_RST	0x02	/* hard (1) or soft (0) reset */
#define	RST_CPU		0x04	/* 0 -> 1: reset */
#define	RST_FULL_RST	0x08	/* full power cycle with SYS_RST */

/* PM1_STS / PM1_EN bits (ACPI 6.4 tables 4.16, 4.17). */
#define	PM1_TMR		(1u << 0)
#define	PM1_GBL		(1u << 5)
#define	PM1_PWRBTN	(1u << 8)
#define	PM1_SLPBTN	(1u << 9)
#define	PM1_RTC		(1u << 10)
#define	PM1_WAK_STS	(1u << 15)
#define	PM1_STS_MASK	(PM1_TMR | (1u << 4) | PM1_GBL | PM1_PWRBTN | \
			 PM1_SLPBTN | PM1_RTC | PM1_WAK_STS)
#define	PM1_EN_MASK	(PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | \
			 PM1_RTC)

/* PM1_CNT bits (ACPI 6.4 table 4.18). */
#define	PM1_SCI_EN	(1u << 0)
#define	PM1_SLP_TYP(v)	(((v) >> 10) & 7)
#define	PM1_SLP_EN	(1u << 13)
#define	PM1_CNT_RW	0x1c06	/* BM_RLD, GBL_RLS, SLP_TYP */

static struct {
	pthread_mutex_t	mtx;
	struct vmctx	*ctx;		/* (c) */
	uint8_t		rst_cnt;
	uint16_t	pm1_sts;
	uint16_t	pm1_en;
	uint16_t	pm1_cnt;
	bool		sci;		/* IRQ 9 asserted */
	bool		registered;
} pm = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static void
suspend(enum vm_suspend_how how)
{
	/* EALREADY: the VM is going away for another reason already. */
	if (vm_suspend(pm.ctx, how) != 0 && errno != EALREADY)
		perror("vm_suspend");
}

/*
 * The SCI is a level-triggered, shareable IRQ (ACPI 6.4 5.2.9 SCI_INT):
 * asserted while an enabled status bit is set.  pm.mtx held.
 */
static void
sci_update(void)
{
	bool want = (pm.pm1_sts & pm.pm1_en & PM1_EN_MASK) != 0;

	if (want == pm.sci)
		return;
	pm.sci = want;
	if (want)
		(void)vm_isa_assert_irq(pm.ctx, ACPI_SCI_IRQ, ACPI_SCI_IRQ);
	else
		(void)vm_isa_deassert_irq(pm.ctx, ACPI_SCI_IRQ, ACPI_SCI_IRQ);
}

/* An access of a width the register has not: reads all-ones, no write. */
static int
bad_width(int in, int bytes, uint32_t *eax)
{
	if (in)
		*eax = bytes >= 4 ? 0xffffffffu : (1u << (bytes * 8)) - 1;
	return (0);
}

static int
reset_handler(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	uint8_t old;
	bool reset;

	(void)ctx;
	(void)port;
	(void)arg;
	if (bytes != 1)
		return (bad_width(in, bytes, eax));
	pthread_mutex_lock(&pm.mtx);
	if (in) {
		*eax = pm.rst_cnt;
		pthread_mutex_unlock(&pm.mtx);
		return (0);
	}
	old = pm.rst_cnt;
	pm.rst_cnt = (uint8_t)(*eax & (RST_SYS_RST | RST_CPU | RST_FULL_RST));
	/* A 0 -> 1 edge of RST_CPU resets; hard, soft and full alike. */
	reset = (pm.rst_cnt & RST_CPU) != 0 && (old & RST_CPU) == 0;
	if (reset)
		pm.rst_cnt &= (uint8_t)~RST_CPU;
	pthread_mutex_unlock(&pm.mtx);
	if (reset)
		suspend(VM_SUSPEND_RESET);
	return (0);
}

/* PM1a_EVT_BLK: PM1_STS (write 1 to clear) then PM1_EN, any width. */
static int
pm1_evt_handler(struct vmctx *ctx, int in, int port, int bytes,
    uint32_t *eax, void *arg)
{
	uint32_t blk, mask, v;
	int off = port - ACPI_PM1A_EVT_PORT;

	(void)ctx;
	(void)arg;
	if (off < 0 || off + bytes > 4)
		return (bad_width(in, bytes, eax));
	mask = (bytes >= 4 ? 0xffffffffu : (1u << (bytes * 8)) - 1) <<
	    (off * 8);
	pthread_mutex_lock(&pm.mtx);
	blk = pm.pm1_sts | (uint32_t)pm.pm1_en << 16;
	if (in) {
		*eax = (blk & mask) >> (off * 8);
	} else {
		v = (*eax << (off * 8)) & mask;
		pm.pm1_sts &= (uint16_t)~(v & PM1_STS_MASK);
		if (mask & 0xffff0000u)
			pm.pm1_en = (uint16_t)(((pm.pm1_en &
			    ~(mask >> 16)) | (v >> 16)) & PM1_EN_MASK);
		sci_update();
	}
	pthread_mutex_unlock(&pm.mtx);
	return (0);
}

/*
 * PM1a_CNT_BLK: SLP_EN with SLP_TYP = \_S5's value powers off (ACPI 6.4
 * 7.4.2, 16.1.7); the other sleep states are not offered in the DSDT
 * and are ignored.
 */
static int
pm1_cnt_handler(struct vmctx *ctx, int in, int port, int bytes,
    uint32_t *eax, void *arg)
{
	uint32_t v;
	int off = port - ACPI_PM1A_CNT_PORT;
	bool off_now = false;

	(void)ctx;
	(void)arg;
	if (off < 0 || off + bytes > 2)
		return (bad_width(in, bytes, eax));
	pthread_mutex_lock(&pm.mtx);
	v = pm.pm1_cnt | PM1_SCI_EN;
	if (in) {
		*eax = (v >> (off * 8)) & (bytes == 1 ? 0xff : 0xffff);
		pthread_mutex_unlock(&pm.mtx);
		return (0);
	}
	if (bytes == 1) {
		v &= ~(0xffu << (off * 8));
		v |= (*eax & 0xff) << (off * 8);
	} else {
		v = *eax & 0xffff;
	}
	pm.pm1_cnt = (uint16_t)(v & PM1_CNT_RW);
	if ((v & PM1_SLP_EN) != 0 && PM1_SLP_TYP(v) == ACPI_S5_SLP_TYP)
		off_now = true;
	pthread_mutex_unlock(&pm.mtx);
	if (off_now)
		suspend(VM_SUSPEND_POWEROFF);
	return (0);
}

/*
 * Save and restore (snapshot.h): record "pm" version 1 holds RST_CNT and
 * PM1_STS/EN/CNT, and the SCI level, which must agree with them.
 */
#define	PM_SNAP_VERSION	1

static int
pm_snapshot(void *arg, struct snap_rec *r)
{
	(void)arg;
	pthread_mutex_lock(&pm.mtx);
	snap_rec_set_version(r, PM_SNAP_VERSION);
	(void)snap_put_u64(r, "rst_cnt", pm.rst_cnt);
	(void)snap_put_u64(r, "pm1_sts", pm.pm1_sts);
	(void)snap_put_u64(r, "pm1_en", pm.pm1_en);
	(void)snap_put_u64(r, "pm1_cnt", pm.pm1_cnt);
	(void)snap_put_u64(r, "sci", pm.sci);
	pthread_mutex_unlock(&pm.mtx);
	return (snap_rec_status(r));
}

static int
pm_restore(void *arg, struct snap_rec *r)
{
	uint64_t rst = 0, sts = 0, en = 0, cnt = 0;
	bool sci = false;
	int error;

	(void)arg;
	error = snap_check_version(r, 1, PM_SNAP_VERSION);
	/* RST_CPU never stays set: a write of it resets at once. */
	if (error == 0)
		error = snap_get_bits(r, "rst_cnt", RST_SYS_RST |
		    RST_FULL_RST, &rst);
	if (error == 0)
		error = snap_get_bits(r, "pm1_sts", PM1_STS_MASK, &sts);
	if (error == 0)
		error = snap_get_bits(r, "pm1_en", PM1_EN_MASK, &en);
	if (error == 0)
		error = snap_get_bits(r, "pm1_cnt", PM1_CNT_RW, &cnt);
	if (error == 0)
		error = snap_get_bool(r, "sci", &sci);
	if (error == 0 && sci != ((sts & en & PM1_EN_MASK) != 0))
		error = snap_fail(r, -EINVAL, "sci = %d disagrees with "
		    "PM1_STS %#jx / PM1_EN %#jx", sci, (uintmax_t)sts,
		    (uintmax_t)en);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&pm.mtx);
	pm.rst_cnt = (uint8_t)rst;
	pm.pm1_sts = (uint16_t)sts;
	pm.pm1_en = (uint16_t)en;
	pm.pm1_cnt = (uint16_t)cnt;
	/* The level only: the 8259/IOAPIC records have the line. */
	pm.sci = sci;
	pthread_mutex_unlock(&pm.mtx);
	return (0);
}

static struct snapshot_dev pm_snap = {
	.id = "pm", .dev = "pm", .save = pm_snapshot, .restore = pm_restore,
};

static struct inout_port pm_ports[] = {
	{ "reset", ACPI_RESET_PORT, 1, IOPORT_F_INOUT, reset_handler, NULL },
	{ "pm1_evt", ACPI_PM1A_EVT_PORT, 4, IOPORT_F_INOUT, pm1_evt_handler,
	    NULL },
	{ "pm1_cnt", ACPI_PM1A_CNT_PORT, 2, IOPORT_F_INOUT, pm1_cnt_handler,
	    NULL },
};

int
pm_init(struct vmctx *ctx)
{
	pthread_mutex_lock(&pm.mtx);
	pm.ctx = ctx;
	pm.rst_cnt = 0;
	pm.pm1_sts = pm.pm1_en = pm.pm1_cnt = 0;
	pm.sci = false;
	pthread_mutex_unlock(&pm.mtx);
	/* The SCI is level-triggered (FADT/MADT in bhyve/acpi.c). */
	if (vm_isa_set_irq_trigger(ctx, ACPI_SCI_IRQ, LEVEL_TRIGGER) != 0) {
		perror("pm: vm_isa_set_irq_trigger");
		return (-1);
	}
	for (size_t i = 0; i < sizeof(pm_ports) / sizeof(pm_ports[0]); i++) {
		if (register_inout(&pm_ports[i]) != 0) {
			fprintf(stderr, "pm: cannot claim port 0x%x: %s\n",
			    pm_ports[i].port, strerror(errno));
			return (-1);
		}
	}
	pm.registered = true;
	if (snapshot_register(&pm_snap) != 0) {
		fprintf(stderr, "pm: cannot register for snapshots\n");
		return (-1);
	}
	return (0);
}

void
pm_fini(void)
{
	snapshot_unregister(&pm_snap);
	if (!pm.registered)
		return;
	for (size_t i = 0; i < sizeof(pm_ports) / sizeof(pm_ports[0]); i++)
		(void)unregister_inout(&pm_ports[i]);
	pm.registered = false;
}

void
pm_power_button(void)
{
	bool acpi;

	pthread_mutex_lock(&pm.mtx);
	if (pm.ctx == NULL) {
		pthread_mutex_unlock(&pm.mtx);
		return;
	}
	acpi = (pm.pm1_en & PM1_PWRBTN) != 0;
	if (acpi) {
		pm.pm1_sts |= PM1_PWRBTN;
		sci_update();
	}
	pthread_mutex_unlock(&pm.mtx);
	if (!acpi)
		suspend(VM_SUSPEND_POWEROFF);
}

uint16_t
pm_pm1_status(void)
{
	uint16_t v;

	pthread_mutex_lock(&pm.mtx);
	v = pm.pm1_sts;
	pthread_mutex_unlock(&pm.mtx);
	return (v);
}

uint16_t
pm_pm1_enable(void)
{
	uint16_t v;

	pthread_mutex_lock(&pm.mtx);
	v = pm.pm1_en;
	pthread_mutex_unlock(&pm.mtx);
	return (v);
}
