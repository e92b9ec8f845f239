/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Create the VM from the config tree, run one thread per vCPU and handle
 * the exits the engine returns, in FreeBSD's order (bhyverun.c main and
 * amd64/vmexit.c; reference §1).  The process exit status is bhyve(8)'s:
 * 0 reset, 1 power-off, 2 halt, 3 triple fault, 4 error.  Where FreeBSD
 * abort()s (unhandled I/O with -e, failed emulation) we print the cause
 * and exit 4.
 *
 * vCPUs: every vCPU is activated and gets its thread at start, as
 * bhyve's fbsdrun_addcpu does.  APs wait for their STARTUP IPI inside the
 * engine's vm_run() (vmm_kern.h run states, illumos' way), so there is
 * no VM_EXITCODE_SPINUP_AP/IPI round trip through userland and no
 * polling: the guest's INIT/SIPI sequence starts them.
 *
 * SIGTERM presses the power button (pm.c); it is taken from a signalfd
 * on the event thread, blocked in every thread.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bhyve/amd64/atkbdc.h"
#include "bhyve/amd64/pm.h"
#include "bhyve/amd64/rtc.h"
#include "bhyve/amd64/vmexit.h"
#include "bhyve/bhyve_options.h"
#include "bhyve/bhyverun.h"
#include "bhyve/bootrom.h"
#include "bhyve/config.h"
#include "bhyve/ctl_server.h"
#include "bhyve/firmware.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/mevent.h"
#include "bhyve/pci_emul.h"
#include "bhyve/pci_lpc.h"
#include "bhyve/snapshot.h"
#include "bhyve/uart_emul.h"
#include "libvmmapi/vmmapi.h"

#define	BSP		0
#define	LPC_NUARTS	4

struct lpc_uart {
	struct vmctx	*ctx;
	struct uart_softc *sc;
	int		iobase;
	int		irq;
	struct inout_port iop;
	struct snapshot_dev snap;	/* "comN", record "uart" */
};

/* Everything one run of a VM needs; handed to every exit handler. */
struct bhyve_vm {
	struct vmctx	*ctx;
	int		ncpus;
	struct vcpu	**vcpu;
	pthread_t	*thread;
	bool		*started;
	_Atomic int	status;		/* -1 until a vCPU ends */
	bool		strictio;	/* x86.strictio (-e) */
	bool		strictmsr;	/* x86.strictmsr (not -w) */
	bool		debug_mmio;	/* debug.mmio: log misses */
	struct lpc_uart	uart[LPC_NUARTS];
	pthread_t	mevent_thread;
	bool		mevent_started;
	int		sigfd;		/* SIGTERM, -1 if none */
	struct mevent	*sigev;
};

struct vcpu_arg {
	struct bhyve_vm	*bvm;
	int		vcpuid;
};

/* ---- Exit handlers ---- */

static uint32_t
size_ones(int bytes)
{
	return (bytes >= 4 ? 0xffffffffu : (1u << (bytes * 8)) - 1);
}

static int
vmexit_inout(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	int bytes = vme->u.inout.bytes, in = vme->u.inout.in;
	int rc;

	rc = emulate_inout(bvm->ctx, vcpu, vme);
	if (rc == 0)
		return (VMEXIT_CONTINUE);
	if (rc == INOUT_UNHANDLED && !bvm->strictio) {
		/* bhyve's default: writes ignored, reads all-ones. */
		if (in)
			vme->u.inout.eax = size_ones(bytes);
		return (VMEXIT_CONTINUE);
	}
	fprintf(stderr, "Unhandled %s%c 0x%04x at 0x%jx\n", in ? "in" : "out",
	    bytes == 1 ? 'b' : (bytes == 2 ? 'w' : 'l'), vme->u.inout.port,
	    (uintmax_t)vme->rip);
	*status = BHYVE_EXIT_ERROR;
	return (VMEXIT_DONE);
}

static int
vmexit_mmio(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	int rc;

	rc = emulate_mmio(vcpu, vme);
	if (rc == 0)
		return (VMEXIT_CONTINUE);
	if (rc == MEM_UNHANDLED) {
		if (bvm->debug_mmio)
			fprintf(stderr, "bhyve: unclaimed MMIO %s 0x%jx/%u "
			    "at rip 0x%jx\n", vme->u.mmio.read ? "read" :
			    "write", (uintmax_t)vme->u.mmio.gpa,
			    vme->u.mmio.bytes, (uintmax_t)vme->rip);
		if (vme->u.mmio.read)
			vme->u.mmio.data = ~0ull;
		return (VMEXIT_CONTINUE);
	}
	fprintf(stderr, "Failed to emulate MMIO %s at 0x%jx (rip 0x%jx)\n",
	    vme->u.mmio.read ? "read" : "write", (uintmax_t)vme->u.mmio.gpa,
	    (uintmax_t)vme->rip);
	*status = BHYVE_EXIT_ERROR;
	return (VMEXIT_DONE);
}

/*
 * MSRs the CPU does not implement.  bhyve keeps no MSRs of its own in
 * userland here, so every one is "unknown": with x86.strictmsr the guest
 * gets #GP (SDM Vol 2B RDMSR), else reads are 0 and writes dropped.
 */
static int
inject_gp(struct vcpu *vcpu, int *status)
{
	if (vm_inject_exception(vcpu, IDT_GP, 1, 0, 1) != 0) {
		perror("vm_inject_exception");
		*status = BHYVE_EXIT_ERROR;
		return (VMEXIT_DONE);
	}
	return (VMEXIT_CONTINUE);
}

static int
vmexit_rdmsr(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	fprintf(stderr, "rdmsr to register %#x on vcpu %d\n",
	    vme->u.msr.code, vcpu_id(vcpu));
	if (bvm->strictmsr)
		return (inject_gp(vcpu, status));
	if (vm_set_register(vcpu, VM_REG_GUEST_RAX, 0) != 0 ||
	    vm_set_register(vcpu, VM_REG_GUEST_RDX, 0) != 0) {
		perror("vm_set_register");
		*status = BHYVE_EXIT_ERROR;
		return (VMEXIT_DONE);
	}
	return (VMEXIT_CONTINUE);
}

static int
vmexit_wrmsr(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	fprintf(stderr, "wrmsr to register %#x(%#jx) on vcpu %d\n",
	    vme->u.msr.code, (uintmax_t)vme->u.msr.wval, vcpu_id(vcpu));
	if (bvm->strictmsr)
		return (inject_gp(vcpu, status));
	return (VMEXIT_CONTINUE);
}

static int
vmexit_suspend(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	(void)bvm;
	(void)vcpu;
	switch (vme->u.suspended.how) {
	case VM_SUSPEND_RESET:
		*status = BHYVE_EXIT_RESET;
		break;
	case VM_SUSPEND_POWEROFF:
		*status = BHYVE_EXIT_POWEROFF;
		break;
	case VM_SUSPEND_HALT:
		*status = BHYVE_EXIT_HALT;
		break;
	case VM_SUSPEND_TRIPLEFAULT:
		*status = BHYVE_EXIT_TRIPLEFAULT;
		break;
	default:
		fprintf(stderr, "vmexit_suspend: invalid reason %d\n",
		    vme->u.suspended.how);
		*status = 100;
		break;
	}
	return (VMEXIT_DONE);
}

/* Exits that need nothing from userland. */
static int
vmexit_continue(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	(void)bvm;
	(void)vcpu;
	(void)vme;
	(void)status;
	return (VMEXIT_CONTINUE);
}

/* vm_suspend_cpu() (the debugger, later): wait to be resumed. */
static int
vmexit_debug(struct bhyve_vm *bvm, struct vcpu *vcpu, struct vm_exit *vme,
    int *status)
{
	(void)bvm;
	(void)vcpu;
	(void)vme;
	(void)status;
	usleep(1000);
	return (VMEXIT_CONTINUE);
}

const vmexit_handler_t vmexit_handlers[VM_EXITCODE_MAX] = {
	[VM_EXITCODE_INOUT] = vmexit_inout,
	[VM_EXITCODE_MMIO] = vmexit_mmio,
	[VM_EXITCODE_RDMSR] = vmexit_rdmsr,
	[VM_EXITCODE_WRMSR] = vmexit_wrmsr,
	[VM_EXITCODE_SUSPENDED] = vmexit_suspend,
	[VM_EXITCODE_BOGUS] = vmexit_continue,
	[VM_EXITCODE_REQIDLE] = vmexit_continue,
	[VM_EXITCODE_HLT] = vmexit_continue,
	[VM_EXITCODE_PAUSE] = vmexit_continue,
	[VM_EXITCODE_MTRAP] = vmexit_continue,
	[VM_EXITCODE_DEBUG] = vmexit_debug,
};

/* ---- vCPU threads ---- */

/* The first vCPU to finish decides the status; the others are stopped. */
static void
vm_finish(struct bhyve_vm *bvm, int status)
{
	int unset = -1;

	if (atomic_compare_exchange_strong(&bvm->status, &unset, status) &&
	    status != BHYVE_EXIT_RESET && status != BHYVE_EXIT_POWEROFF &&
	    status != BHYVE_EXIT_HALT && status != BHYVE_EXIT_TRIPLEFAULT)
		(void)vm_suspend(bvm->ctx, VM_SUSPEND_POWEROFF);
}

static void
vm_loop(struct bhyve_vm *bvm, struct vcpu *vcpu)
{
	struct vm_exit vme;
	struct vm_run vmrun;
	int status = BHYVE_EXIT_ERROR;
	unsigned code;

	memset(&vme, 0, sizeof(vme));
	memset(&vmrun, 0, sizeof(vmrun));
	vmrun.cpuid = vcpu_id(vcpu);
	vmrun.vm_exit = &vme;
	for (;;) {
		if (vm_run(vcpu, &vmrun) != 0) {
			perror("vm_run");
			status = BHYVE_EXIT_ERROR;
			break;
		}
		code = (unsigned)vme.exitcode;
		if (code >= VM_EXITCODE_MAX || vmexit_handlers[code] == NULL) {
			fprintf(stderr, "vm_loop: unexpected exitcode 0x%x "
			    "at rip 0x%jx\n", code, (uintmax_t)vme.rip);
			status = BHYVE_EXIT_ERROR;
			break;
		}
		if (vmexit_handlers[code](bvm, vcpu, &vme, &status) !=
		    VMEXIT_CONTINUE)
			break;
	}
	vm_finish(bvm, status);
}

static void *
vcpu_thread(void *arg)
{
	struct vcpu_arg *va = arg;
	struct bhyve_vm *bvm = va->bvm;
	int id = va->vcpuid;

	free(va);
	vm_loop(bvm, bvm->vcpu[id]);
	return (NULL);
}

static void *
mevent_thread(void *arg)
{
	(void)arg;
	mevent_dispatch();
	return (NULL);
}

static int
start_vcpu(struct bhyve_vm *bvm, int id)
{
	struct vcpu_arg *va;
	pthread_attr_t attr;
	cpu_set_t set;
	int pinned, error;

	pinned = bhyve_vcpu_cpuset(id, &set);
	if (pinned < 0)
		return (-1);
	va = malloc(sizeof(*va));
	if (va == NULL)
		return (-1);
	va->bvm = bvm;
	va->vcpuid = id;
	pthread_attr_init(&attr);
	/* -p / vcpu.N.cpuset: the thread runs on those host CPUs only. */
	if (pinned > 0 && (error = pthread_attr_setaffinity_np(&attr,
	    sizeof(set), &set)) != 0) {
		fprintf(stderr, "vcpu %d: cannot pin: %s\n", id,
		    strerror(error));
		pthread_attr_destroy(&attr);
		free(va);
		return (-1);
	}
	error = pthread_create(&bvm->thread[id], &attr, vcpu_thread, va);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		free(va);
		fprintf(stderr, "vcpu %d: pthread_create: %s\n", id,
		    strerror(error));
		return (-1);
	}
	bvm->started[id] = true;
	return (0);
}

/* ---- Devices ---- */

static void
lpc_uart_intr_assert(void *arg)
{
	struct lpc_uart *u = arg;

	/* LPC COM ports interrupt on edges: one pulse per assertion. */
	(void)vm_isa_pulse_irq(u->ctx, u->irq, u->irq);
}

static void
lpc_uart_intr_deassert(void *arg)
{
	(void)arg;
}

static int
lpc_uart_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	struct lpc_uart *u = arg;
	int off = port - u->iobase;

	(void)ctx;
	/* Wider accesses touch consecutive registers, byte by byte. */
	for (int i = 0; i < bytes && off + i < UART_IO_BAR_SIZE; i++) {
		if (in) {
			*eax &= ~(0xffu << (i * 8));
			*eax |= (uint32_t)uart_read(u->sc, off + i) << (i * 8);
		} else {
			uart_write(u->sc, off + i, (uint8_t)(*eax >> (i * 8)));
		}
	}
	return (0);
}

static int
lpc_uart_snapshot(void *arg, struct snap_rec *r)
{
	struct lpc_uart *u = arg;

	return (uart_snapshot(u->sc, r));
}

static int
lpc_uart_restore(void *arg, struct snap_rec *r)
{
	struct lpc_uart *u = arg;

	return (uart_restore(u->sc, r));
}

/* COM1-COM4 at their legacy ports, backends from lpc.comN.path. */
static int
init_lpc_uarts(struct bhyve_vm *bvm)
{
	static const char *const names[LPC_NUARTS] = {
		"COM1", "COM2", "COM3", "COM4" };
	char key[32];
	const char *path;

	for (int unit = 0; unit < LPC_NUARTS; unit++) {
		struct lpc_uart *u = &bvm->uart[unit];

		u->ctx = bvm->ctx;
		if (uart_legacy_alloc(unit, &u->iobase, &u->irq) != 0)
			return (-1);
		u->sc = uart_init(lpc_uart_intr_assert, lpc_uart_intr_deassert,
		    u);
		if (u->sc == NULL)
			return (-1);
		snprintf(key, sizeof(key), "lpc.com%d.path", unit + 1);
		path = get_config_value(key);
		if (uart_set_backend(u->sc, path) != 0) {
			fprintf(stderr, "Unable to initialize backend '%s' "
			    "for LPC device com%d\n", path, unit + 1);
			return (-1);
		}
		u->iop.name = names[unit];
		u->iop.port = u->iobase;
		u->iop.size = UART_IO_BAR_SIZE;
		u->iop.flags = IOPORT_F_INOUT;
		u->iop.handler = lpc_uart_io;
		u->iop.arg = u;
		if (register_inout(&u->iop) != 0) {
			fprintf(stderr, "%s: cannot claim ports 0x%x: %s\n",
			    names[unit], u->iobase, strerror(errno));
			return (-1);
		}
		snprintf(u->snap.id, sizeof(u->snap.id), "com%d", unit + 1);
		u->snap.dev = "uart";
		u->snap.save = lpc_uart_snapshot;
		u->snap.restore = lpc_uart_restore;
		u->snap.arg = u;
		if (snapshot_register(&u->snap) != 0) {
			fprintf(stderr, "%s: cannot register for snapshots\n",
			    names[unit]);
			return (-1);
		}
	}
	return (0);
}

static void
fini_lpc_uarts(struct bhyve_vm *bvm)
{
	for (int unit = 0; unit < LPC_NUARTS; unit++) {
		snapshot_unregister(&bvm->uart[unit].snap);
		if (bvm->uart[unit].sc != NULL)
			uart_destroy(bvm->uart[unit].sc);
		bvm->uart[unit].sc = NULL;
	}
}

/* ---- Setup ---- */

static int
open_vcpus(struct bhyve_vm *bvm)
{
	bool hlt = get_config_bool_default("x86.vmexit_on_hlt", false);
	bool pause = get_config_bool_default("x86.vmexit_on_pause", false);
	bool x2apic = get_config_bool_default("x86.x2apic", false);

	for (int i = 0; i < bvm->ncpus; i++) {
		struct vcpu *v = vm_vcpu_open(bvm->ctx, i);

		if (v == NULL) {
			fprintf(stderr, "vm_vcpu_open(%d): %s\n", i,
			    strerror(errno));
			return (-1);
		}
		bvm->vcpu[i] = v;
		if (hlt && vm_set_capability(v, VM_CAP_HALT_EXIT, 1) != 0) {
			fprintf(stderr, "HLT exits are not supported\n");
			return (-1);
		}
		if (pause && vm_set_capability(v, VM_CAP_PAUSE_EXIT, 1) != 0) {
			fprintf(stderr, "PAUSE exits are not supported\n");
			return (-1);
		}
		if (vm_set_x2apic_state(v, x2apic ? X2APIC_ENABLED :
		    X2APIC_DISABLED) != 0) {
			fprintf(stderr, "Unable to set x2apic state (%d)\n",
			    errno);
			return (-1);
		}
	}
	return (0);
}

static int
setup_memory(struct bhyve_vm *bvm)
{
	const char *value;
	size_t memsize;
	int flags = 0;

	value = get_config_value("memory.size");
	if (value == NULL)
		value = "256M";
	if (vm_parse_memsize(value, &memsize) != 0) {
		fprintf(stderr, "Invalid memsize '%s'\n", value);
		return (-1);
	}
	if (get_config_bool_default("memory.wired", false))
		flags |= VM_MEM_F_WIRED;
	if (get_config_bool_default("memory.guest_in_core", false))
		flags |= VM_MEM_F_INCORE;
	vm_set_memflags(bvm->ctx, flags);
	if (vm_setup_memory(bvm->ctx, memsize, VM_MMAP_ALL) != 0) {
		fprintf(stderr, "Unable to setup memory (%d)\n", errno);
		return (-1);
	}
	return (0);
}

static int
create_vm(struct bhyve_vm *bvm, const char *vmname)
{
	struct bhyve_topology topo;
	uint16_t s, c, t, maxcpus;

	if (bhyve_get_topology(&topo) != 0)
		return (-1);
	bvm->ncpus = topo.ncpus;
	/* Direct boot builds the VM here: create it, or start it afresh. */
	bvm->ctx = vm_openf(vmname, VMMAPI_OPEN_CREATE | VMMAPI_OPEN_REINIT);
	if (bvm->ctx == NULL) {
		fprintf(stderr, "vm_open: %s: %s\n", vmname, strerror(errno));
		return (-1);
	}
	/* A VM bhyveload set up: same -m (ctl_server.c). */
	if (bhyve_loaded_check(bvm->ctx) != 0)
		return (-1);
	if (vm_get_topology(bvm->ctx, &s, &c, &t, &maxcpus) != 0)
		return (-1);
	if (bvm->ncpus > maxcpus) {
		fprintf(stderr, "%d vCPUs requested but only %d available\n",
		    bvm->ncpus, maxcpus);
		return (-1);
	}
	if (vm_set_topology(bvm->ctx, topo.sockets, topo.cores, topo.threads,
	    0) != 0) {
		fprintf(stderr, "vm_set_topology: %s\n", strerror(errno));
		return (-1);
	}
	bvm->vcpu = calloc((size_t)bvm->ncpus, sizeof(*bvm->vcpu));
	bvm->thread = calloc((size_t)bvm->ncpus, sizeof(*bvm->thread));
	bvm->started = calloc((size_t)bvm->ncpus, sizeof(*bvm->started));
	if (bvm->vcpu == NULL || bvm->thread == NULL || bvm->started == NULL)
		return (-1);
	return (0);
}

/* SIGTERM (bhyve(8)): the power button. */
static void
sigterm_cb(int fd, enum ev_type type, void *param)
{
	struct signalfd_siginfo si;

	(void)type;
	(void)param;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		pm_power_button();
}

static int
init_signals(struct bhyve_vm *bvm)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	bvm->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (bvm->sigfd < 0) {
		perror("signalfd");
		return (-1);
	}
	bvm->sigev = mevent_add(bvm->sigfd, EVF_READ, sigterm_cb, NULL);
	if (bvm->sigev == NULL) {
		perror("mevent_add");
		return (-1);
	}
	return (0);
}

static int
init_devices(struct bhyve_vm *bvm)
{
	init_mem(bvm->ncpus);
	init_inout();
	if (mevent_init() != 0) {
		perror("mevent_init");
		return (-1);
	}
	if (init_signals(bvm) != 0 || rtc_init(bvm->ctx) != 0 ||
	    pm_init(bvm->ctx) != 0 || atkbdc_init(bvm->ctx) != 0)
		return (-1);
	if (init_lpc_uarts(bvm) != 0 || init_pci(bvm->ctx) != 0 ||
	    bootrom_init(bvm->ctx) != 0)
		return (-1);
	return (bhyve_firmware_init(bvm->ctx, bvm->ncpus));
}

static int
load_guest(struct bhyve_vm *bvm)
{
	const char *kernel = get_config_value("boot.kernel");
	int loaded;

	/* Loaded by bhyveload: its registers, no kernel loading. */
	if ((loaded = bhyve_loaded_restore(bvm->ctx, bvm->vcpu[BSP])) != 0)
		return (loaded > 0 ? 0 : -1);
	if (kernel != NULL && kernel[0] != '\0')
		return (bhyve_load_kernel(bvm->ctx, bvm->vcpu[BSP]));
	/* bootrom_init() mapped it: the BSP starts at F000:FFF0. */
	if (bootrom_path() != NULL)
		return (0);
	fprintf(stderr, "bhyve: no boot.kernel or bootrom configured\n");
	return (-1);
}

/*
 * Activate every vCPU and start its thread: the BSP runs the guest, the
 * APs sleep in the engine until the guest sends them INIT/SIPI.  Then
 * wait for all of them.
 */
static int
run_vm(struct bhyve_vm *bvm)
{
	int error;

	for (int i = 0; i < bvm->ncpus; i++) {
		if (vm_activate_cpu(bvm->vcpu[i]) != 0) {
			fprintf(stderr, "vm_activate_cpu(%d): %s\n", i,
			    strerror(errno));
			return (BHYVE_EXIT_ERROR);
		}
	}
	error = pthread_create(&bvm->mevent_thread, NULL, mevent_thread, NULL);
	if (error != 0) {
		fprintf(stderr, "mevent: pthread_create: %s\n",
		    strerror(error));
		return (BHYVE_EXIT_ERROR);
	}
	bvm->mevent_started = true;
	ctl_server_start(bvm->ctx, bvm->vcpu, bvm->ncpus);	/* bhyvectl */
	for (int i = 0; i < bvm->ncpus; i++) {
		if (start_vcpu(bvm, i) != 0) {
			vm_finish(bvm, BHYVE_EXIT_ERROR);
			break;
		}
	}
	for (int i = 0; i < bvm->ncpus; i++)
		if (bvm->started[i])
			pthread_join(bvm->thread[i], NULL);
	return (atomic_load(&bvm->status));
}

static void
teardown(struct bhyve_vm *bvm, int status)
{
	if (bvm->mevent_started) {
		mevent_stop();
		pthread_join(bvm->mevent_thread, NULL);
	}
	ctl_server_stop();
	fini_pci();
	fini_lpc_uarts(bvm);
	atkbdc_fini();
	pm_fini();
	if (bvm->sigev != NULL)
		(void)mevent_delete(bvm->sigev);
	if (bvm->sigfd >= 0)
		close(bvm->sigfd);
	if (bvm->vcpu != NULL)
		for (int i = 0; i < bvm->ncpus; i++)
			vm_vcpu_close(bvm->vcpu[i]);
	if (bvm->ctx != NULL) {
		if ((status == BHYVE_EXIT_POWEROFF &&
		    get_config_bool_default("destroy_on_poweroff", false)) ||
		    ctl_server_destroy_requested())
			vm_destroy(bvm->ctx);
		else
			vm_close(bvm->ctx);
	}
	free(bvm->vcpu);
	free(bvm->thread);
	free(bvm->started);
}

int
bhyve_start_vm(const char *vmname)
{
	struct bhyve_vm bvm;
	sigset_t sigs;
	int status = BHYVE_EXIT_ERROR;

	memset(&bvm, 0, sizeof(bvm));
	atomic_init(&bvm.status, -1);
	bvm.sigfd = -1;
	/*
	 * Before any thread exists (the engine's timer thread starts with
	 * the VM): SIGTERM is only ever taken through the signalfd.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	bvm.strictio = get_config_bool_default("x86.strictio", false);
	bvm.strictmsr = get_config_bool_default("x86.strictmsr", true);
	bvm.debug_mmio = get_config_bool_default("debug.mmio", false);

	if (create_vm(&bvm, vmname) == 0 && open_vcpus(&bvm) == 0 &&
	    setup_memory(&bvm) == 0 && init_devices(&bvm) == 0 &&
	    load_guest(&bvm) == 0)
		status = run_vm(&bvm);
	if (status < 0)
		status = BHYVE_EXIT_ERROR;
	/* pc-testdev's debug exit overrides the status. */
	status = bhyve_firmware_exit_status(status);
	bhyve_firmware_fini();
	teardown(&bvm, status);
	fflush(stdout);
	return (status);
}
