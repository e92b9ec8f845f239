/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmmapi over the engine: lifecycle, registers, capabilities,
 * topology, suspension, exits and their completion, with tiny real-mode
 * guests written as bytes.
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
	struct vcpu	*vcpu;
	struct vm_exit	vme;
	struct vm_run	vmrun;
};

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->ctx = test_vm_new("vmmapi-test", 1 * MB);
	e->vcpu = vm_vcpu_open(e->ctx, 0);
	assert_non_null(e->vcpu);
	e->vmrun.vm_exit = &e->vme;
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	vm_vcpu_close(e->vcpu);
	vm_destroy(e->ctx);
	test_free(e);
	return (0);
}

/* Real mode, CS base 0, code at CODE. */
static void
load_guest(struct env *e, const uint8_t *code, size_t len)
{
	test_load_real(e->ctx, e->vcpu, CODE, code, len);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
}

static void
test_lifecycle(void **state)
{
	struct vmctx *ctx;

	(void)state;
	assert_int_equal(vm_create("life"), 0);
	assert_int_equal(vm_create("life"), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(vm_create(""), -1);
	assert_null(vm_open("no-such-vm"));
	assert_int_equal(errno, ENOENT);
	ctx = vm_open("life");
	assert_non_null(ctx);
	assert_string_equal(vm_get_name(ctx), "life");
	vm_close(ctx);
	/* Still there after close; gone after destroy. */
	ctx = vm_openf("life", 0);
	assert_non_null(ctx);
	assert_null(vm_vcpu_open(ctx, -1));
	assert_null(vm_vcpu_open(ctx, 100000));
	vm_destroy(ctx);
	assert_null(vm_open("life"));
	ctx = vm_openf("life", VMMAPI_OPEN_CREATE);
	assert_non_null(ctx);
	vm_close(ctx);
	ctx = vm_openf("life", VMMAPI_OPEN_CREATE | VMMAPI_OPEN_REINIT);
	assert_non_null(ctx);
	vm_destroy(ctx);
}

static void
test_registers(void **state)
{
	struct env *e = *state;
	static const int gprs[] = {
		VM_REG_GUEST_RAX, VM_REG_GUEST_RBX, VM_REG_GUEST_RCX,
		VM_REG_GUEST_RDX, VM_REG_GUEST_RSI, VM_REG_GUEST_RDI,
		VM_REG_GUEST_RBP, VM_REG_GUEST_R8, VM_REG_GUEST_R9,
		VM_REG_GUEST_R10, VM_REG_GUEST_R11, VM_REG_GUEST_R12,
		VM_REG_GUEST_R13, VM_REG_GUEST_R14, VM_REG_GUEST_R15,
		VM_REG_GUEST_RSP, VM_REG_GUEST_RIP, VM_REG_GUEST_CR2,
		VM_REG_GUEST_CR3, VM_REG_GUEST_DR0, VM_REG_GUEST_DR3,
		VM_REG_GUEST_FS_BASE, VM_REG_GUEST_GS_BASE,
		VM_REG_GUEST_KGS_BASE,
	};
	uint64_t vals[sizeof(gprs) / sizeof(gprs[0])], v;
	unsigned n = sizeof(gprs) / sizeof(gprs[0]);

	for (unsigned i = 0; i < n; i++)
		vals[i] = 0x1111111111111111ull * (i + 1) + i;
	vals[17] = 0xdead000;			/* CR2 */
	vals[18] = 0x1000;			/* CR3 */
	assert_int_equal(vm_set_register_set(e->vcpu, n, gprs, vals), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(vm_get_register(e->vcpu, gprs[i], &v), 0);
		assert_int_equal(v, vals[i]);
	}
	/* Each GPR is its own: RBX is not RCX (encoding order differs). */
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RBX, 42), 0);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RCX, &v), 0);
	assert_int_equal(v, vals[2]);
	/* RFLAGS: bit 1 reads as 1. */
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RFLAGS,
	    0x202 | 0x1 | 0x40), 0);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RFLAGS, &v), 0);
	assert_int_equal(v & 0xfff, 0x243);
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_LAST, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vm_get_register(e->vcpu, -1, &v), -1);
}

static void
test_descriptors(void **state)
{
	struct env *e = *state;
	struct seg_desc sd;
	uint64_t base;
	uint32_t limit, access;

	assert_int_equal(vm_set_desc(e->vcpu, VM_REG_GUEST_DS, 0x12340, 0xfffff,
	    0xc093), 0);
	assert_int_equal(vm_get_desc(e->vcpu, VM_REG_GUEST_DS, &base, &limit,
	    &access), 0);
	assert_int_equal(base, 0x12340);
	assert_int_equal(limit, 0xfffff);
	assert_int_equal(access, 0xc093);
	assert_int_equal(vm_set_desc(e->vcpu, VM_REG_GUEST_GDTR, 0x5000, 0x27,
	    0), 0);
	assert_int_equal(vm_get_seg_desc(e->vcpu, VM_REG_GUEST_GDTR, &sd), 0);
	assert_int_equal(sd.base, 0x5000);
	assert_int_equal(sd.limit, 0x27);
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_DS, 0x10), 0);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_DS, &base), 0);
	assert_int_equal(base, 0x10);
	assert_int_equal(vm_get_desc(e->vcpu, VM_REG_GUEST_RAX, &base, &limit,
	    &access), -1);
	/* vcpu_reset: back to the power-on state (SDM Vol 3 9.1.1). */
	assert_int_equal(vcpu_reset(e->vcpu), 0);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RIP, &base), 0);
	assert_int_equal(base, 0xfff0);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_CS, &base), 0);
	assert_int_equal(base, 0xf000);
}

static void
test_capabilities(void **state)
{
	struct env *e = *state;
	int v;

	assert_int_equal(vm_capability_name2type("hlt_exit"),
	    VM_CAP_HALT_EXIT);
	assert_int_equal(vm_capability_name2type("rflags_tf"),
	    VM_CAP_RFLAGS_TF);
	assert_int_equal(vm_capability_name2type("bogus"), -1);
	assert_string_equal(vm_capability_type2name(VM_CAP_PAUSE_EXIT),
	    "pause_exit");
	assert_null(vm_capability_type2name(VM_CAP_MAX));
	assert_int_equal(vm_get_capability(e->vcpu, VM_CAP_HALT_EXIT, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vm_set_capability(e->vcpu, VM_CAP_HALT_EXIT, 1), 0);
	assert_int_equal(vm_get_capability(e->vcpu, VM_CAP_HALT_EXIT, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vm_get_capability(e->vcpu,
	    VM_CAP_UNRESTRICTED_GUEST, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vm_get_capability(e->vcpu, VM_CAP_MTRAP_EXIT, &v),
	    -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_topology(void **state)
{
	struct env *e = *state;
	uint16_t s, c, t, m;

	assert_int_equal(vm_get_topology(e->ctx, &s, &c, &t, &m), 0);
	assert_int_equal(s * c * t, 1);
	assert_true(m >= 16);
	assert_int_equal(vm_set_topology(e->ctx, 2, 2, 2, 0), 0);
	assert_int_equal(vm_get_topology(e->ctx, &s, &c, &t, &m), 0);
	assert_int_equal(s, 2);
	assert_int_equal(c, 2);
	assert_int_equal(t, 2);
	assert_int_equal(vm_set_topology(e->ctx, m, 2, 1, 0), -1);
	assert_int_equal(vm_set_topology(e->ctx, 0, 1, 1, 0), -1);
}

static void
test_run_inactive(void **state)
{
	struct env *e = *state;

	/* vm_run needs the vCPU activated, as on FreeBSD. */
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	assert_int_equal(vm_activate_cpu(e->vcpu), -1);
	assert_int_equal(errno, EBUSY);
}

static void
test_suspend(void **state)
{
	struct env *e = *state;

	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_NONE), -1);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_POWEROFF), 0);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_RESET), -1);
	assert_int_equal(errno, EALREADY);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_POWEROFF);
	/* vm_reinit starts afresh: no suspension, vCPUs inactive. */
	assert_int_equal(vm_reinit(e->ctx), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), -1);
	assert_int_equal(vm_activate_cpu(e->vcpu), 0);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_RESET), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_RESET);
}

static void
test_stats(void **state)
{
	struct env *e = *state;
	struct timeval tv;
	uint64_t *st;
	int n;

	st = vm_get_stats(e->vcpu, &tv, &n);
	assert_non_null(st);
	assert_true(n > VM_EXITCODE_MAX);
	assert_non_null(vm_get_stat_desc(e->ctx, 0));
	assert_non_null(vm_get_stat_desc(e->ctx, n - 1));
	assert_null(vm_get_stat_desc(e->ctx, n));
}

static void
test_inject(void **state)
{
	struct env *e = *state;
	uint64_t i1, i2;

	assert_int_equal(vm_inject_exception(e->vcpu, IDT_GP, 1, 0x18, 0), 0);
	assert_int_equal(vm_get_intinfo(e->vcpu, &i1, &i2), 0);
	assert_int_equal(i1, 0);
	assert_true(i2 & VM_INTINFO_VALID);
	assert_int_equal(VM_INTINFO_VECTOR(i2), IDT_GP);
	assert_int_equal(i2 >> 32, 0x18);
	/* One at a time. */
	assert_int_equal(vm_inject_exception(e->vcpu, IDT_UD, 0, 0, 0), -1);
	assert_int_equal(vm_inject_exception(e->vcpu, 32, 0, 0, 0), -1);
	assert_int_equal(vm_set_intinfo(e->vcpu, 0), 0);
	assert_int_equal(vm_get_intinfo(e->vcpu, &i1, &i2), 0);
	assert_int_equal(i2, 0);
}

/* out 0x3f8,'A'; in al,0x3f8 (userland answers); cli; hlt. */
static void
test_guest_io(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03,	/* mov dx, 0x3f8 */
		0xb0, 0x41,		/* mov al, 'A' */
		0xee,			/* out dx, al */
		0xec,			/* in al, dx */
		0x88, 0xc3,		/* mov bl, al */
		0xfa,			/* cli */
		0xf4,			/* hlt */
	};
	uint64_t v;

	load_guest(e, code, sizeof(code));
	assert_int_equal(vm_set_capability(e->vcpu, VM_CAP_HALT_EXIT, 1), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(e->vme.u.inout.port, 0x3f8);
	assert_int_equal(e->vme.u.inout.in, 0);
	assert_int_equal(e->vme.u.inout.bytes, 1);
	assert_int_equal(e->vme.u.inout.eax & 0xff, 'A');
	assert_int_equal(e->vme.rip, CODE + 5);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(e->vme.u.inout.in, 1);
	e->vme.u.inout.eax = 0x5a;		/* the value read */
	/* All vCPUs halted with IF = 0: the VM halts (bhyve -H). */
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_HALT);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RBX, &v), 0);
	assert_int_equal(v & 0xff, 0x5a);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RAX, &v), 0);
	assert_int_equal(v & 0xff, 0x5a);
}

/* MMIO above RAM: mov ax,0xffff; mov ds,ax; mov al,[0x10]; mov [0x20],al */
static void
test_guest_mmio(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0xb8, 0xff, 0xff,	/* mov ax, 0xffff */
		0x8e, 0xd8,		/* mov ds, ax */
		0xa0, 0x10, 0x00,	/* mov al, [0x10] = gpa 0x100000 */
		0xa2, 0x20, 0x00,	/* mov [0x20], al */
		0xfa, 0xf4,		/* cli; hlt */
	};

	load_guest(e, code, sizeof(code));
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_MMIO);
	assert_int_equal(e->vme.u.mmio.gpa, 0x100000);
	assert_int_equal(e->vme.u.mmio.read, 1);
	assert_int_equal(e->vme.u.mmio.bytes, 1);
	e->vme.u.mmio.data = 0x77;
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_MMIO);
	assert_int_equal(e->vme.u.mmio.gpa, 0x100010);
	assert_int_equal(e->vme.u.mmio.read, 0);
	assert_int_equal(e->vme.u.mmio.data, 0x77);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
}

struct later {
	struct vmctx	*ctx;
	int		how;
};

static void *
suspend_later(void *arg)
{
	struct later *l = arg;

	usleep(50000);
	vm_suspend(l->ctx, l->how);
	return (NULL);
}

/* A spinning vCPU is kicked out by vm_suspend from another thread. */
static void
test_guest_kick(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xeb, 0xfe };	/* jmp $ */
	struct later l = { e->ctx, VM_SUSPEND_RESET };
	pthread_t t;

	load_guest(e, code, sizeof(code));
	assert_int_equal(pthread_create(&t, NULL, suspend_later, &l), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	pthread_join(t, NULL);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_RESET);
}

/* HLT with IF = 1 sleeps (no interrupt can come yet) until suspended. */
static void
test_guest_hlt_sleeps(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xfb, 0xf4, 0xeb, 0xfd };  /* sti; hlt */
	struct later l = { e->ctx, VM_SUSPEND_POWEROFF };
	pthread_t t;
	uint64_t *st;
	int n;

	load_guest(e, code, sizeof(code));
	assert_int_equal(pthread_create(&t, NULL, suspend_later, &l), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	pthread_join(t, NULL);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(e->vme.u.suspended.how, VM_SUSPEND_POWEROFF);
	st = vm_get_stats(e->vcpu, NULL, &n);
	assert_non_null(st);
	assert_true(st[0] >= 2);		/* instructions retired */
	/* Slept, did not spin: a handful of backend entries at most. */
	assert_true(st[1] < 10);
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

/*
 * An NMI wakes a vCPU halted with IF = 0 (SDM Vol 3 6.7): the handler
 * (IVT vector 2) writes port 0x80.  A second active, running vCPU keeps
 * the VM from counting as "all halted".
 */
static void
test_guest_nmi_wakes_hlt(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfd }; /* cli; hlt */
	static const uint8_t nmi[] = { 0xb0, 0x22, 0xe6, 0x80, 0xcf };
	struct runner r = { .vcpu = e->vcpu };
	struct vcpu *ap;
	uint16_t *ivt;
	pthread_t t;

	load_guest(e, code, sizeof(code));
	memcpy(vm_map_gpa(e->ctx, 0x2000, sizeof(nmi)), nmi, sizeof(nmi));
	ivt = vm_map_gpa(e->ctx, 0, 1024);
	ivt[2 * 2] = 0x2000;			/* offset */
	ivt[2 * 2 + 1] = 0;			/* segment */
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RSP, 0x8000),
	    0);
	assert_int_equal(vm_set_desc(e->vcpu, VM_REG_GUEST_SS, 0, 0xffff,
	    0x93), 0);
	ap = vm_vcpu_open(e->ctx, 1);
	assert_non_null(ap);
	assert_int_equal(vm_activate_cpu(ap), 0);
	/* An AP waiting for SIPI would not: mark it running. */
	assert_int_equal(vm_set_run_state(ap, VRS_RUN, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, run_once, &r), 0);
	usleep(50000);
	assert_int_equal(vm_inject_nmi(e->vcpu), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.vme.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(r.vme.u.inout.port, 0x80);
	assert_int_equal(r.vme.u.inout.eax & 0xff, 0x22);
	vm_vcpu_close(ap);
}

/* vm_suspend_cpu: the vCPU leaves with VM_EXITCODE_DEBUG until resumed. */
static void
test_debug_suspend(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xeb, 0xfe };

	load_guest(e, code, sizeof(code));
	assert_int_equal(vm_suspend_cpu(e->vcpu), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_DEBUG);
	assert_int_equal(vm_resume_all_cpus(e->ctx), 0);
	assert_int_equal(vm_suspend(e->ctx, VM_SUSPEND_HALT), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
}

/* An unknown MSR exits; with #GP injected + restart RIP stays on it. */
static void
test_guest_msr(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0x66, 0xb9, 0x78, 0x56, 0x34, 0x12,	/* mov ecx, 0x12345678 */
		0x0f, 0x32,				/* rdmsr */
		0xfa, 0xf4,				/* cli; hlt */
	};
	uint64_t v;

	load_guest(e, code, sizeof(code));
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_RDMSR);
	assert_int_equal(e->vme.u.msr.code, 0x12345678);
	assert_int_equal(e->vme.rip, CODE + 6);
	/* Emulated by userland (bhyve -w): RAX/RDX, then it retires. */
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RAX, 0x11), 0);
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RDX, 0x22), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RIP, &v), 0);
	assert_int_equal(v, CODE + 10);
	assert_int_equal(vm_get_register(e->vcpu, VM_REG_GUEST_RAX, &v), 0);
	assert_int_equal(v & 0xffffffff, 0x11);
}

/* bhyve's strict MSRs: #GP injected with restart points at the RDMSR. */
static void
test_guest_msr_gp(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0x66, 0xb9, 0x78, 0x56, 0x34, 0x12,	/* mov ecx, 0x12345678 */
		0x0f, 0x32,				/* rdmsr */
		0xfa, 0xf4,				/* cli; hlt */
	};
	static const uint8_t gp[] = { 0x58, 0xe7, 0x80 }; /* pop ax; out 80,ax */
	uint16_t *ivt;

	load_guest(e, code, sizeof(code));
	memcpy(vm_map_gpa(e->ctx, 0x2000, sizeof(gp)), gp, sizeof(gp));
	ivt = vm_map_gpa(e->ctx, 0, 1024);
	ivt[IDT_GP * 2] = 0x2000;
	ivt[IDT_GP * 2 + 1] = 0;
	assert_int_equal(vm_set_register(e->vcpu, VM_REG_GUEST_RSP, 0x8000),
	    0);
	assert_int_equal(vm_set_desc(e->vcpu, VM_REG_GUEST_SS, 0, 0xffff,
	    0x93), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_RDMSR);
	assert_int_equal(vm_inject_exception(e->vcpu, IDT_GP, 1, 0, 1), 0);
	assert_int_equal(vm_run(e->vcpu, &e->vmrun), 0);
	assert_int_equal(e->vme.exitcode, VM_EXITCODE_INOUT);
	assert_int_equal(e->vme.u.inout.port, 0x80);
	assert_int_equal(e->vme.u.inout.eax & 0xffff, CODE + 6);
}

int
main(void)
{
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		T(test_registers),
		T(test_descriptors),
		T(test_capabilities),
		T(test_topology),
		T(test_run_inactive),
		T(test_suspend),
		T(test_stats),
		T(test_inject),
		T(test_guest_io),
		T(test_guest_mmio),
		T(test_guest_kick),
		T(test_guest_hlt_sleeps),
		T(test_guest_nmi_wakes_hlt),
		T(test_debug_suspend),
		T(test_guest_msr),
		T(test_guest_msr_gp),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
