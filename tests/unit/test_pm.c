/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reset and power ports in userland (bhyve/amd64/pm.c, atkbdc.c): each
 * guest action that must reset or power off the machine suspends the VM
 * with the right reason; harmless writes do not; odd access widths are
 * absorbed, never errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/amd64/atkbdc.h"
#include "bhyve/amd64/pm.h"
#include "bhyve/inout.h"
#include "bhyve/snapshot.h"
#include "tests/unit/snap_fixture.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

struct env {
	struct vmctx	*ctx;
	struct vcpu	*vcpu;
};

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->ctx = test_vm_new("pm-test", 1 << 20);
	e->vcpu = vm_vcpu_open(e->ctx, 0);
	assert_non_null(e->vcpu);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	init_inout();
	assert_int_equal(pm_init(e->ctx), 0);
	assert_int_equal(atkbdc_init(e->ctx), 0);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	atkbdc_fini();
	pm_fini();
	vm_vcpu_close(e->vcpu);
	vm_destroy(e->ctx);
	test_free(e);
	return (0);
}

static uint32_t
io(struct env *e, bool in, int port, int bytes, uint32_t val)
{
	struct vm_exit vme;

	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.in = in;
	vme.u.inout.port = (uint16_t)port;
	vme.u.inout.bytes = (uint8_t)bytes;
	vme.u.inout.eax = val;
	assert_int_equal(emulate_inout(e->ctx, e->vcpu, &vme), 0);
	return (vme.u.inout.eax);
}

/* The VM's suspension reason, seen by the vCPU (NONE if it runs). */
static int
suspended(struct env *e)
{
	struct vm_exit vme;
	struct vm_run vmrun = { .vm_exit = &vme };

	/* A suspended VM returns at once; else the vCPU would run. */
	if (vm_suspend(e->ctx, VM_SUSPEND_HALT) == 0) {
		assert_int_equal(vm_run(e->vcpu, &vmrun), 0);
		return (VM_SUSPEND_NONE);
	}
	assert_int_equal(errno, EALREADY);
	assert_int_equal(vm_run(e->vcpu, &vmrun), 0);
	assert_int_equal(vme.exitcode, VM_EXITCODE_SUSPENDED);
	return (vme.u.suspended.how);
}

static void
test_cf9(void **state)
{
	struct env *e = *state;

	io(e, false, 0xcf9, 1, 0x02);
	assert_int_equal(io(e, true, 0xcf9, 1, 0), 0x02);
	io(e, false, 0xcf9, 2, 0x0606);		/* wrong width: ignored */
	assert_int_equal(io(e, true, 0xcf9, 2, 0), 0xffff);
	assert_int_equal(suspended(e), VM_SUSPEND_NONE);
	assert_int_equal(vm_reinit(e->ctx), 0);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	io(e, false, 0xcf9, 1, 0x06);
	assert_int_equal(suspended(e), VM_SUSPEND_RESET);
}

static void
test_pm1(void **state)
{
	struct env *e = *state;

	/* SCI_EN reads 1; SLP_TYP without SLP_EN does nothing. */
	assert_int_equal(io(e, true, 0x404, 2, 0) & 1, 1);
	io(e, false, 0x404, 2, 5 << 10);
	assert_int_equal(io(e, true, 0x404, 2, 0) & (7 << 10), 5 << 10);
	/* Power button with PWRBTN_EN: status bit, no power-off. */
	io(e, false, 0x402, 2, 0x0100);
	assert_int_equal(pm_pm1_enable(), 0x0100);
	pm_power_button();
	assert_int_equal(pm_pm1_status() & 0x0100, 0x0100);
	assert_int_equal(io(e, true, 0x400, 4, 0), 0x01000100);
	io(e, false, 0x400, 2, 0x0100);		/* write 1 to clear */
	assert_int_equal(pm_pm1_status(), 0);
	io(e, false, 0x403, 1, 0);		/* byte access to PM1_EN */
	assert_int_equal(pm_pm1_enable(), 0);
	io(e, false, 0x404, 4, 0);		/* wrong width: ignored */
	assert_int_equal(suspended(e), VM_SUSPEND_NONE);
	/* S5 with SLP_EN powers off. */
	assert_int_equal(vm_reinit(e->ctx), 0);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	io(e, false, 0x404, 2, (5 << 10) | (1 << 13));
	assert_int_equal(suspended(e), VM_SUSPEND_POWEROFF);
}

/* No ACPI OS listening (PWRBTN_EN clear): the button powers off. */
static void
test_power_button_fallback(void **state)
{
	struct env *e = *state;

	pm_power_button();
	assert_int_equal(suspended(e), VM_SUSPEND_POWEROFF);
}

static void
test_kbc(void **state)
{
	struct env *e = *state;

	io(e, false, 0x64, 1, 0xaa);
	assert_int_equal(io(e, true, 0x64, 1, 0) & 0x05, 0x05);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0x55);
	assert_int_equal(io(e, true, 0x64, 1, 0) & 0x01, 0);
	io(e, false, 0x60, 1, 0xff);		/* keyboard reset */
	assert_int_equal(io(e, true, 0x60, 1, 0), 0xfa);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0xaa);
	io(e, false, 0x64, 1, 0xd1);		/* output port: A20 off */
	io(e, false, 0x60, 1, 0x01);
	io(e, false, 0x64, 1, 0xd0);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0x01);
	assert_int_equal(io(e, true, 0x60, 2, 0), 0xffff);
	assert_int_equal(suspended(e), VM_SUSPEND_NONE);
	assert_int_equal(vm_reinit(e->ctx), 0);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	io(e, false, 0x64, 1, 0xfe);		/* pulse reset */
	assert_int_equal(suspended(e), VM_SUSPEND_RESET);
}

static void
test_kbc_outport_reset(void **state)
{
	struct env *e = *state;

	io(e, false, 0x64, 1, 0xd1);
	io(e, false, 0x60, 1, 0x02);		/* bit 0 low: reset */
	assert_int_equal(suspended(e), VM_SUSPEND_RESET);
}

static void
test_port92(void **state)
{
	struct env *e = *state;

	assert_int_equal(io(e, true, 0x92, 1, 0), 0x02);
	io(e, false, 0x92, 1, 0x00);		/* A20 off */
	assert_int_equal(suspended(e), VM_SUSPEND_NONE);
	assert_int_equal(vm_reinit(e->ctx), 0);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	io(e, false, 0x92, 1, 0x03);		/* INIT_NOW */
	assert_int_equal(suspended(e), VM_SUSPEND_RESET);
}

/*
 * Save and restore (snapshot.h) of the PM registers and the 8042:
 * after a fresh pm_init/atkbdc_init, the guest reads what it left.
 */
static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct snap_image *img;
	char err[256];

	io(e, false, 0xcf9, 1, 0x02);
	io(e, false, 0x402, 2, 0x0100);		/* PWRBTN_EN */
	pm_power_button();			/* PWRBTN_STS, SCI */
	io(e, false, 0x404, 2, 5 << 10);
	io(e, false, 0x64, 1, 0x60);		/* command byte := 0x65 */
	io(e, false, 0x60, 1, 0x65);
	io(e, false, 0x64, 1, 0x20);		/* read it back: queued */
	io(e, false, 0x60, 1, 0xee);		/* echo: queued */
	io(e, false, 0x64, 1, 0xd1);		/* awaits a data byte */
	io(e, false, 0x92, 1, 0x00);
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);
	assert_non_null(snap_image_find(img, "pm"));
	assert_non_null(snap_image_find(img, "atkbdc"));

	atkbdc_fini();
	pm_fini();
	assert_int_equal(pm_init(e->ctx), 0);
	assert_int_equal(atkbdc_init(e->ctx), 0);
	assert_int_equal(pm_pm1_enable(), 0);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)), 0);
	snap_image_free(img);

	assert_int_equal(io(e, true, 0xcf9, 1, 0), 0x02);
	assert_int_equal(io(e, true, 0x400, 4, 0), 0x01000100);
	assert_int_equal(io(e, true, 0x404, 2, 0), 5 << 10 | 1);
	assert_int_equal(io(e, true, 0x92, 1, 0), 0x00);
	assert_int_equal(io(e, true, 0x64, 1, 0) & 0x01, 0x01);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0x65);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0xee);
	assert_int_equal(io(e, true, 0x64, 1, 0) & 0x01, 0);
	/* The pending 0xD1 takes this byte: reset bit set, no reset. */
	io(e, false, 0x60, 1, 0x03);
	io(e, false, 0x64, 1, 0xd0);
	assert_int_equal(io(e, true, 0x60, 1, 0), 0x03);
	assert_int_equal(suspended(e), VM_SUSPEND_NONE);
}

/* Bad records are refused with a reason; the devices keep their state. */
static void
test_snapshot_refused(void **state)
{
	struct env *e = *state;
	struct snap_image *img;
	struct snap_rec *r;
	char err[256];

	io(e, false, 0x402, 2, 0x0100);
	io(e, false, 0x64, 1, 0x20);		/* one byte queued */
#define	REFUSED(id, tweak, msg) do {					\
	SNAP_REFUSED(id, tweak, msg);					\
	assert_int_equal(pm_pm1_enable(), 0x0100);			\
	assert_int_equal(io(e, true, 0x64, 1, 0) & 0x01, 0x01);	\
} while (0)

	REFUSED("pm", snap_put_u64(r, "pm1_en", 0x0002), "\"pm1_en\"");
	REFUSED("pm", snap_put_u64(r, "pm1_sts", 0x0100),
	    "sci = 0 disagrees");
	REFUSED("pm", snap_put_u64(r, "rst_cnt", 0x04), "\"rst_cnt\"");
	REFUSED("pm", snap_del(r, "pm1_cnt"), "\"pm1_cnt\" missing");
	REFUSED("atkbdc", snap_put_u64(r, "nout", 9), "\"nout\" = 0x9");
	REFUSED("atkbdc", snap_put_u64(r, "nout", 0), "disagrees");
	REFUSED("atkbdc", snap_put_u64(r, "rpos", 8), "\"rpos\" = 0x8");
	REFUSED("atkbdc", snap_put_u64(r, "pending", 0x55),
	    "not ones that take data");
	REFUSED("atkbdc", snap_put_blob(r, "obuf", "1234567", 7),
	    "7 bytes, expected 8");
	REFUSED("atkbdc", snap_put_u64(r, "port92", 0x04), "\"port92\"");
#undef REFUSED
	/* The queued command byte (0x45 after reset) is still there. */
	assert_int_equal(io(e, true, 0x60, 1, 0), 0x45);
}

int
main(void)
{
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cf9),
		T(test_pm1),
		T(test_power_button_fallback),
		T(test_kbc),
		T(test_kbc_outport_reset),
		T(test_port92),
		T(test_snapshot),
		T(test_snapshot_refused),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
