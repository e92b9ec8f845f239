/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine with its platform and several vCPUs, through libvmmapi:
 * run states (APs wait for SIPI), CPU sets, halt detection that ignores
 * APs never started, interrupt injection into a real-mode guest through
 * the 8259, NMI through the local APIC, RTC and HPET calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	MB	(1ULL << 20)
#define	CODE	0x1000

struct env {
	struct vmctx	*ctx;
	struct vcpu	*bsp, *ap;
	struct vm_exit	vme;
	struct vm_run	vmrun;
};

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->ctx = test_vm_new("smp-test", 1 * MB);
	e->bsp = vm_vcpu_open(e->ctx, 0);
	e->ap = vm_vcpu_open(e->ctx, 1);
	assert_non_null(e->bsp);
	assert_non_null(e->ap);
	e->vmrun.vm_exit = &e->vme;
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	vm_vcpu_close(e->ap);
	vm_vcpu_close(e->bsp);
	vm_destroy(e->ctx);
	test_free(e);
	return (0);
}

static void
load_guest(struct env *e, const uint8_t *code, size_t len)
{
	test_load_real(e->ctx, e->bsp, CODE, code, len);
	assert_int_equal(vm_set_desc(e->bsp, VM_REG_GUEST_SS, 0, 0xffff,
	    0x93), 0);
	assert_int_equal(vm_set_register(e->bsp, VM_REG_GUEST_RSP, 0x8000),
	    0);
}

struct runner {
	struct vcpu	*vcpu;
	struct vm_exit	vme;
	int		error;
};

static void *
run_once(void *arg)
{
	struct runner *r = arg;
	struct vm_run vmrun = { .vm_exit = &r->vme };

	r->error = vm_run(r->vcpu, &vmrun);
	return (NULL);
}

static void
test_run_states(void **state)
{
	struct env *e = *state;
	struct runner r = { .vcpu = e->ap };
	enum vcpu_run_state st;
	pthread_t t;
	uint8_t vec;
	uint64_t v;

	assert_int_equal(vm_get_run_state(e->bsp, &st, &vec), 0);
	assert_int_equal(st, VRS_RUN);
	assert_int_equal(vm_get_run_state(e->ap, &st, &vec), 0);
	assert_int_equal(st, VRS_INIT);
	/* A SIPI from userland: real mode at vector << 12. */
	assert_int_equal(vm_set_run_state(e->ap, VRS_RUN | VRS_PEND_SIPI,
	    0x9a), 0);
	assert_int_equal(vm_get_run_state(e->ap, &st, &vec), 0);
	assert_true(st & VRS_PEND_SIPI);
	assert_int_equal(vec, 0x9a);
	/* The AP takes it when it runs: code at 0x9a000 is "cli; hlt". */
	memcpy(vm_map_gpa(e->ctx, 0x9a000, 2), "\xfa\xf4", 2);
	assert_int_equal(vm_activate_cpu(e->ap), 0);
	assert_int_equal(vm_activate_cpu(e->bsp), 0);
	assert_int_equal(pthread_create(&t, NULL, run_once, &r), 0);
	usleep(50000);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_HALT), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(vm_get_run_state(e->ap, &st, &vec), 0);
	assert_int_equal(st, VRS_RUN);
	assert_int_equal(vm_get_register(e->ap, VM_REG_GUEST_CS, &v), 0);
	assert_int_equal(v, 0x9a00);
	assert_int_equal(vm_get_register(e->ap, VM_REG_GUEST_RIP, &v), 0);
	assert_int_equal(v, 2);			/* halted after the HLT */
	/* INIT: back to waiting. */
	assert_int_equal(vm_set_run_state(e->ap, VRS_INIT, 0), 0);
	assert_int_equal(vm_get_run_state(e->ap, &st, &vec), 0);
	assert_int_equal(st, VRS_INIT);
	assert_int_equal(vm_set_run_state(e->ap, VRS_HALT, 0), -1);
}

static void
test_cpusets(void **state)
{
	struct env *e = *state;
	cpuset_t set;

	assert_int_equal(vm_active_cpus(e->ctx, &set), 0);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_int_equal(vm_activate_cpu(e->bsp), 0);
	assert_int_equal(vm_activate_cpu(e->ap), 0);
	assert_int_equal(vm_active_cpus(e->ctx, &set), 0);
	assert_true(CPU_ISSET(0, &set) && CPU_ISSET(1, &set));
	assert_int_equal(vm_suspend_cpu(e->ap), 0);
	assert_int_equal(vm_debug_cpus(e->ctx, &set), 0);
	assert_true(!CPU_ISSET(0, &set) && CPU_ISSET(1, &set));
	assert_int_equal(vm_resume_cpu(e->ap), 0);
	assert_int_equal(vm_debug_cpus(e->ctx, &set), 0);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_POWEROFF), 0);
	assert_int_equal(vm_run(e->bsp, &e->vmrun), 0);
	assert_int_equal(vm_suspended_cpus(e->ctx, &set), 0);
	assert_true(CPU_ISSET(0, &set) && !CPU_ISSET(1, &set));
}

/*
 * BSP "cli; hlt" while the AP, active, was never started: nothing can
 * run any more, so the VM halts (FreeBSD: exit 2) instead of hanging.
 */
static void
test_halt_ignores_waiting_aps(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfd };

	load_guest(e, code, sizeof(code));
	assert_int_equal(vm_activate_cpu(e->bsp), 0);
	assert_int_equal(vm_activate_cpu(e->ap), 0);
	assert_int_equal(vm_run(e->bsp, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_HALT);
	/* The waiting AP leaves too. */
	assert_int_equal(vm_run(e->ap, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
}

/*
 * An ISA IRQ from userland reaches a real-mode guest through the 8259
 * (LAPIC disabled: ExtINT).  The guest programs the 8259 (vector base
 * 0x08... here 0x20), unmasks IRQ 4, "sti; hlt"; the handler writes port
 * 0x80.
 */
static void
test_isa_irq_to_guest(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0xb0, 0x11, 0xe6, 0x20,		/* ICW1 */
		0xb0, 0x20, 0xe6, 0x21,		/* ICW2: base 0x20 */
		0xb0, 0x04, 0xe6, 0x21,		/* ICW3 */
		0xb0, 0x01, 0xe6, 0x21,		/* ICW4: 8086 */
		0xb0, 0xef, 0xe6, 0x21,		/* mask all but IRQ 4 */
		0xfb, 0xf4, 0xeb, 0xfd,		/* sti; hlt; jmp */
	};
	static const uint8_t isr[] = { 0xb0, 0x24, 0xe6, 0x80, 0xcf };
	struct runner r = { .vcpu = e->bsp };
	uint16_t *ivt;
	pthread_t t;

	load_guest(e, code, sizeof(code));
	memcpy(vm_map_gpa(e->ctx, 0x2000, sizeof(isr)), isr, sizeof(isr));
	ivt = vm_map_gpa(e->ctx, 0, 1024);
	ivt[0x24 * 2] = 0x2000;
	ivt[0x24 * 2 + 1] = 0;
	assert_int_equal(vm_activate_cpu(e->bsp), 0);
	assert_int_equal(pthread_create(&t, NULL, run_once, &r), 0);
	usleep(50000);
	assert_int_equal(vm_isa_pulse_irq(e->ctx, 4, 4), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.vme.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(r.vme.u.inout.port, 0x80);
	assert_int_equal(r.vme.u.inout.eax & 0xff, 0x24);
	/* Bad arguments are refused, not crashes. */
	assert_int_equal(vm_isa_pulse_irq(e->ctx, 16, -1), -1);
	assert_int_equal(vm_ioapic_assert_irq(e->ctx, 32), -1);
	assert_int_equal(vm_lapic_irq(e->bsp, 256), -1);
	assert_int_equal(vm_lapic_msi(e->ctx, 0x12345678, 0), -1);
	assert_int_equal(vm_isa_set_irq_trigger(e->ctx, 0, LEVEL_TRIGGER),
	    -1);
}

static void
test_interrupt_api(void **state)
{
	struct env *e = *state;
	int n;

	assert_int_equal(vm_ioapic_pincount(e->ctx, &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(vm_ioapic_assert_irq(e->ctx, 5), 0);
	assert_int_equal(vm_ioapic_deassert_irq(e->ctx, 5), 0);
	assert_int_equal(vm_ioapic_pulse_irq(e->ctx, 5), 0);
	assert_int_equal(vm_isa_set_irq_trigger(e->ctx, 9, LEVEL_TRIGGER), 0);
	assert_int_equal(vm_isa_assert_irq(e->ctx, 9, 9), 0);
	assert_int_equal(vm_isa_deassert_irq(e->ctx, 9, 9), 0);
	assert_int_equal(vm_lapic_irq(e->ap, 0x40), 0);
	assert_int_equal(vm_lapic_local_irq(e->ap, 1), 0);	/* LINT1 */
	assert_int_equal(vm_lapic_msi(e->ctx, 0xfee01000, 0x41), 0);
	assert_int_equal(vm_inject_nmi(e->ap), 0);
	assert_int_equal(vm_apicid2vcpu(e->ctx, 1), 1);
	assert_int_equal(vm_set_x2apic_state(e->ap, X2APIC_ENABLED), 0);
}

static void
test_rtc_hpet(void **state)
{
	struct env *e = *state;
	time_t t;
	uint32_t caps;
	uint8_t b;

	assert_int_equal(vm_rtc_settime(e->ctx, 1700000000), 0);
	assert_int_equal(vm_rtc_gettime(e->ctx, &t), 0);
	assert_true(t >= 1700000000 && t < 1700000000 + 5);
	assert_int_equal(vm_rtc_write(e->ctx, 0x40, 0x5a), 0);
	assert_int_equal(vm_rtc_read(e->ctx, 0x40, &b), 0);
	assert_int_equal(b, 0x5a);
	/* Time registers are not NVRAM. */
	assert_int_equal(vm_rtc_write(e->ctx, 0, 0x12), -1);
	assert_int_equal(vm_get_hpet_capabilities(e->ctx, &caps), 0);
	assert_int_equal(caps >> 16, 0x8086);
}

int
main(void)
{
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_run_states),
		T(test_cpusets),
		T(test_halt_ignores_waiting_aps),
		T(test_isa_irq_to_guest),
		T(test_interrupt_api),
		T(test_rtc_hpet),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
