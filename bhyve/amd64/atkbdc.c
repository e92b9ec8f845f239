/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Minimal 8042 keyboard controller (atkbdc.h).
 *
 * References: IBM PC AT Technical Reference, "Keyboard Controller"
 * (status register, command byte, controller commands 20h-FFh); Intel
 * ICH10 datasheet 13.7.1 "PORT92 -- Init Register" (fast A20 and
 * INIT_NOW).  Interrupts: when the command byte's keyboard interrupt bit
 * is set, a byte put in the output buffer pulses IRQ 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/amd64/atkbdc.h"
#include "bhyve/inout.h"
#include "bhyve/snapshot.h"
#include "libvmmapi/vmmapi.h"

#define	KBD_DATA_PORT	0x60
#define	KBD_STS_PORT	0x64
#define	PORT92		0x92
#define	KBD_IRQ		1

/* Status register. */
#define	STS_OBF		0x01	/* output buffer full */
#define	STS_SYS		0x04	/* system flag: self-test passed */
#define	STS_CMD		0x08	/* last write was to 0x64 */
#define	STS_UNLOCKED	0x10	/* keyboard not inhibited */

/* Command byte. */
#define	CB_KBD_INT	0x01
#define	CB_SYS		0x04
#define	CB_KBD_DIS	0x10
#define	CB_AUX_DIS	0x20
#define	CB_XLATE	0x40

/* Output port. */
#define	OP_RESET	0x01	/* 0: CPU reset asserted */
#define	OP_A20		0x02

/* Port 0x92. */
#define	P92_INIT_NOW	0x01	/* 0 -> 1: reset */
#define	P92_A20		0x02

#define	OBUF_SIZE	8

static struct {
	pthread_mutex_t	mtx;
	struct vmctx	*ctx;
	uint8_t		status;
	uint8_t		cmdbyte;
	uint8_t		outport;
	uint8_t		port92;
	int		pending;	/* command awaiting a data byte */
	int		kbd_pending;	/* keyboard command awaiting data */
	uint8_t		obuf[OBUF_SIZE];
	int		nout, rpos;
	bool		registered;
} kbc = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static void
do_reset(void)
{
	if (vm_suspend(kbc.ctx, VM_SUSPEND_RESET) != 0 && errno != EALREADY)
		perror("vm_suspend");
}

/* kbc.mtx held; true if IRQ 1 should be pulsed. */
static bool
obuf_put(uint8_t b)
{
	if (kbc.nout >= OBUF_SIZE)
		return (false);
	kbc.obuf[(kbc.rpos + kbc.nout) % OBUF_SIZE] = b;
	kbc.nout++;
	kbc.status |= STS_OBF;
	return ((kbc.cmdbyte & CB_KBD_INT) != 0);
}

/* Controller command written to 0x64; true to reset. */
static bool
kbc_command(uint8_t cmd, bool *irq)
{
	kbc.pending = 0;
	switch (cmd) {
	case 0x20:			/* read command byte */
		*irq |= obuf_put(kbc.cmdbyte);
		break;
	case 0x60:			/* write command byte */
	case 0xD1:			/* write output port */
	case 0xD2:			/* write keyboard output buffer */
	case 0xD3:			/* write aux output buffer */
	case 0xD4:			/* write to aux device */
		kbc.pending = cmd;
		break;
	case 0xA7:			/* disable aux */
		kbc.cmdbyte |= CB_AUX_DIS;
		break;
	case 0xA8:			/* enable aux */
		kbc.cmdbyte &= (uint8_t)~CB_AUX_DIS;
		break;
	case 0xA9:			/* aux interface test: no aux */
		*irq |= obuf_put(0xFF);
		break;
	case 0xAA:			/* self-test */
		kbc.status |= STS_SYS;
		kbc.cmdbyte |= CB_SYS;
		*irq |= obuf_put(0x55);
		break;
	case 0xAB:			/* keyboard interface test */
		*irq |= obuf_put(0x00);
		break;
	case 0xAD:			/* disable keyboard */
		kbc.cmdbyte |= CB_KBD_DIS;
		break;
	case 0xAE:			/* enable keyboard */
		kbc.cmdbyte &= (uint8_t)~CB_KBD_DIS;
		break;
	case 0xC0:			/* read input port */
		*irq |= obuf_put(0x00);
		break;
	case 0xD0:			/* read output port */
		*irq |= obuf_put(kbc.outport);
		break;
	case 0xDD:			/* A20 off (HP extension) */
		kbc.outport &= (uint8_t)~OP_A20;
		break;
	case 0xDF:			/* A20 on */
		kbc.outport |= OP_A20;
		break;
	default:
		/* F0-FF pulse output port bits 3:0 low; bit 0 is reset. */
		if (cmd >= 0xF0 && (cmd & 0x01) == 0)
			return (true);
		break;
	}
	return (false);
}

/* Data byte written to 0x60; true to reset. */
static bool
kbc_data(uint8_t b, bool *irq)
{
	int cmd = kbc.pending;

	kbc.pending = 0;
	switch (cmd) {
	case 0x60:
		kbc.cmdbyte = b;
		if (b & CB_SYS)
			kbc.status |= STS_SYS;
		return (false);
	case 0xD1:
		kbc.outport = b;
		/* Output port bit 0 low holds the CPU in reset. */
		return ((b & OP_RESET) == 0);
	case 0xD2:
		*irq |= obuf_put(b);
		return (false);
	case 0xD3:
	case 0xD4:
		return (false);		/* no aux device */
	default:
		break;
	}
	/* To the keyboard: acknowledge everything (PS/2 0xFA). */
	if (kbc.kbd_pending) {
		kbc.kbd_pending = 0;
		*irq |= obuf_put(0xFA);
		return (false);
	}
	switch (b) {
	case 0xFF:			/* reset: ACK, BAT passed */
		*irq |= obuf_put(0xFA);
		*irq |= obuf_put(0xAA);
		break;
	case 0xF2:			/* identify: MF2 keyboard */
		*irq |= obuf_put(0xFA);
		*irq |= obuf_put(0xAB);
		*irq |= obuf_put(0x83);
		break;
	case 0xEE:			/* echo */
		*irq |= obuf_put(0xEE);
		break;
	case 0xED:			/* LEDs, then a data byte */
	case 0xF0:			/* scan code set, then a data byte */
	case 0xF3:			/* typematic, then a data byte */
		kbc.kbd_pending = b;
		*irq |= obuf_put(0xFA);
		break;
	default:
		*irq |= obuf_put(0xFA);
		break;
	}
	return (false);
}

static int
kbc_handler(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	bool reset = false, irq = false;

	(void)ctx;
	(void)arg;
	if (bytes != 1) {
		if (in)
			*eax = bytes >= 4 ? 0xffffffffu :
			    (1u << (bytes * 8)) - 1;
		return (0);
	}
	pthread_mutex_lock(&kbc.mtx);
	if (port == KBD_STS_PORT) {
		if (in) {
			*eax = kbc.status;
		} else {
			kbc.status |= STS_CMD;
			reset = kbc_command((uint8_t)*eax, &irq);
		}
	} else if (in) {
		*eax = kbc.obuf[kbc.rpos];
		if (kbc.nout > 0) {
			kbc.rpos = (kbc.rpos + 1) % OBUF_SIZE;
			kbc.nout--;
		}
		if (kbc.nout == 0)
			kbc.status &= (uint8_t)~STS_OBF;
		else
			irq = (kbc.cmdbyte & CB_KBD_INT) != 0;
	} else {
		kbc.status &= (uint8_t)~STS_CMD;
		reset = kbc_data((uint8_t)*eax, &irq);
	}
	pthread_mutex_unlock(&kbc.mtx);
	if (irq)
		(void)vm_isa_pulse_irq(kbc.ctx, KBD_IRQ, KBD_IRQ);
	if (reset)
		do_reset();
	return (0);
}

static int
port92_handler(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	bool reset = false;
	uint8_t v;

	(void)ctx;
	(void)port;
	(void)arg;
	if (bytes != 1) {
		if (in)
			*eax = bytes >= 4 ? 0xffffffffu :
			    (1u << (bytes * 8)) - 1;
		return (0);
	}
	pthread_mutex_lock(&kbc.mtx);
	if (in) {
		*eax = kbc.port92;
	} else {
		v = (uint8_t)(*eax & (P92_INIT_NOW | P92_A20));
		reset = (v & P92_INIT_NOW) && !(kbc.port92 & P92_INIT_NOW);
		kbc.port92 = v;
	}
	pthread_mutex_unlock(&kbc.mtx);
	if (reset)
		do_reset();
	return (0);
}

/*
 * Save and restore (snapshot.h): record "atkbdc" version 1 holds the
 * registers, the pending command bytes and the output buffer as a ring
 * (all OBUF_SIZE bytes: a read of an empty buffer returns the last one).
 */
#define	ATKBDC_SNAP_VERSION	1

static int
atkbdc_snapshot(void *arg, struct snap_rec *r)
{
	(void)arg;
	pthread_mutex_lock(&kbc.mtx);
	snap_rec_set_version(r, ATKBDC_SNAP_VERSION);
	(void)snap_put_u64(r, "status", kbc.status);
	(void)snap_put_u64(r, "cmdbyte", kbc.cmdbyte);
	(void)snap_put_u64(r, "outport", kbc.outport);
	(void)snap_put_u64(r, "port92", kbc.port92);
	(void)snap_put_u64(r, "pending", (uint64_t)kbc.pending);
	(void)snap_put_u64(r, "kbd_pending", (uint64_t)kbc.kbd_pending);
	(void)snap_put_blob(r, "obuf", kbc.obuf, OBUF_SIZE);
	(void)snap_put_u64(r, "rpos", (uint64_t)kbc.rpos);
	(void)snap_put_u64(r, "nout", (uint64_t)kbc.nout);
	pthread_mutex_unlock(&kbc.mtx);
	return (snap_rec_status(r));
}

/* Commands that wait for a data byte (kbc_command, kbc_data). */
static bool
pending_ok(uint64_t v, bool kbd)
{
	static const uint8_t ctl[] = { 0x60, 0xD1, 0xD2, 0xD3, 0xD4 };
	static const uint8_t dev[] = { 0xED, 0xF0, 0xF3 };
	const uint8_t *set = kbd ? dev : ctl;
	size_t n = kbd ? sizeof(dev) : sizeof(ctl);

	if (v == 0)
		return (true);
	for (size_t i = 0; i < n; i++)
		if (v == set[i])
			return (true);
	return (false);
}

static int
atkbdc_restore(void *arg, struct snap_rec *r)
{
	uint64_t sts = 0, cb = 0, op = 0, p92 = 0, pend = 0, kpend = 0;
	uint64_t rpos = 0, nout = 0;
	uint8_t obuf[OBUF_SIZE];
	int error;

	(void)arg;
	error = snap_check_version(r, 1, ATKBDC_SNAP_VERSION);
	if (error == 0)
		error = snap_get_bits(r, "status", STS_OBF | STS_SYS |
		    STS_CMD | STS_UNLOCKED, &sts);
	if (error == 0)
		error = snap_get_range(r, "cmdbyte", 0, 0xff, &cb);
	if (error == 0)
		error = snap_get_range(r, "outport", 0, 0xff, &op);
	if (error == 0)
		error = snap_get_bits(r, "port92", P92_INIT_NOW | P92_A20,
		    &p92);
	if (error == 0)
		error = snap_get_u64(r, "pending", &pend);
	if (error == 0)
		error = snap_get_u64(r, "kbd_pending", &kpend);
	if (error == 0 && (!pending_ok(pend, false) ||
	    !pending_ok(kpend, true)))
		error = snap_fail(r, -EINVAL, "pending commands %#jx/%#jx "
		    "are not ones that take data", (uintmax_t)pend,
		    (uintmax_t)kpend);
	if (error == 0)
		error = snap_get_blob_exact(r, "obuf", obuf, sizeof(obuf));
	if (error == 0)
		error = snap_get_range(r, "rpos", 0, OBUF_SIZE - 1, &rpos);
	if (error == 0)
		error = snap_get_range(r, "nout", 0, OBUF_SIZE, &nout);
	if (error == 0 && ((sts & STS_OBF) != 0) != (nout > 0))
		error = snap_fail(r, -EINVAL, "status %#jx disagrees with "
		    "%ju bytes in the output buffer", (uintmax_t)sts,
		    (uintmax_t)nout);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&kbc.mtx);
	kbc.status = (uint8_t)sts;
	kbc.cmdbyte = (uint8_t)cb;
	kbc.outport = (uint8_t)op;
	kbc.port92 = (uint8_t)p92;
	kbc.pending = (int)pend;
	kbc.kbd_pending = (int)kpend;
	memcpy(kbc.obuf, obuf, sizeof(obuf));
	kbc.rpos = (int)rpos;
	kbc.nout = (int)nout;
	pthread_mutex_unlock(&kbc.mtx);
	return (0);
}

static struct snapshot_dev kbc_snap = {
	.id = "atkbdc", .dev = "atkbdc", .save = atkbdc_snapshot,
	.restore = atkbdc_restore,
};

static struct inout_port kbc_ports[] = {
	{ "atkbdc data", KBD_DATA_PORT, 1, IOPORT_F_INOUT, kbc_handler, NULL },
	{ "atkbdc sts/cmd", KBD_STS_PORT, 1, IOPORT_F_INOUT, kbc_handler,
	    NULL },
	{ "port92", PORT92, 1, IOPORT_F_INOUT, port92_handler, NULL },
};

int
atkbdc_init(struct vmctx *ctx)
{
	pthread_mutex_lock(&kbc.mtx);
	kbc.ctx = ctx;
	kbc.status = STS_SYS | STS_UNLOCKED;
	kbc.cmdbyte = CB_KBD_INT | CB_SYS | CB_XLATE;
	kbc.outport = OP_RESET | OP_A20;
	kbc.port92 = P92_A20;
	kbc.pending = kbc.kbd_pending = 0;
	kbc.nout = kbc.rpos = 0;
	pthread_mutex_unlock(&kbc.mtx);
	for (size_t i = 0; i < sizeof(kbc_ports) / sizeof(kbc_ports[0]);
	    i++) {
		if (register_inout(&kbc_ports[i]) != 0) {
			fprintf(stderr, "atkbdc: cannot claim port 0x%x: "
			    "%s\n", kbc_ports[i].port, strerror(errno));
			return (-1);
		}
	}
	kbc.registered = true;
	if (snapshot_register(&kbc_snap) != 0) {
		fprintf(stderr, "atkbdc: cannot register for snapshots\n");
		return (-1);
	}
	return (0);
}

void
atkbdc_fini(void)
{
	snapshot_unregister(&kbc_snap);
	if (!kbc.registered)
		return;
	for (size_t i = 0; i < sizeof(kbc_ports) / sizeof(kbc_ports[0]); i++)
		(void)unregister_inout(&kbc_ports[i]);
	kbc.registered = false;
}
