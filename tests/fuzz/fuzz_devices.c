/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device models under guest-driven access sequences.  The input is a
 * list of operations (one kind byte, then its arguments):
 *
 * - the in-engine platform (vmm/io/vplatform.h: LAPICs, IOAPIC, 8259s,
 *   8254, RTC, HPET, PM timer): port and MMIO accesses, APIC MSRs,
 *   interrupt inputs and acknowledge, a fake clock moved forward and the
 *   manual timer wheel run, save/restore of altered records, reset;
 * - the 16550 register model (bhyve/uart_emul.h) with received bytes;
 * - QEMU fw_cfg (bhyve/qemu_fwcfg.h) with DMA descriptors placed in
 *   guest RAM by the input;
 * - bhyve's fwctl (bhyve/fwctl.h): resets, request words that are often
 *   well-formed ("hw.ncpu" GETs) and reads of any width at any time;
 * - bhyve's userland devices as a vCPU reaches them: emulate_inout() on
 *   the port table (PCI config mechanism #1, PCI BARs, LPC, PIRQ, ATKBDC,
 *   PM, POST), read_mem()/write_mem() on ECAM and the BAR
 *   windows, and pci_cfgrw() on any bus/slot/function/register.
 *
 * The platform, UART and fw_cfg are created per input; bhyve's devices
 * are process-global (one VM, as in bhyve), so their state carries over
 * between inputs: reproduce a crash with the same input sequence.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bhyve/amd64/atkbdc.h"
#include "bhyve/amd64/pm.h"
#include "bhyve/config.h"
#include "bhyve/fwctl.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/pci_emul.h"
#include "bhyve/post.h"
#include "bhyve/qemu_fwcfg.h"
#include "bhyve/uart_emul.h"
#include "libvmmapi/vmmapi.h"
#include "tests/fuzz/fuzz.h"
#include "vmm/io/vplatform.h"
#include "vmm/vmm.h"

#define	NCPU		2
#define	RAM_SIZE	(4u << 20)
#define	MAX_OPS		512

static struct vmctx	*ctx;
static uint8_t		*guest_ram;
static uint64_t		fake_ns;

static uint64_t
fake_now(void *arg)
{
	return (fake_ns);
}

static void
p_notify(void *arg, int vcpu)
{
	FZ_CHECK(vcpu >= -1 && vcpu < NCPU);
}

static void
p_init_ipi(void *arg, int vcpu)
{
	FZ_CHECK(vcpu >= 0 && vcpu < NCPU);
}

static void
p_sipi(void *arg, int vcpu, int vector)
{
	FZ_CHECK(vcpu >= 0 && vcpu < NCPU);
	FZ_CHECK(vector >= 0 && vector <= 255);
}

static uint64_t
p_tsc(void *arg, int vcpu)
{
	return (fake_ns);
}

static void
u_intr(void *arg)
{
}

static void
u_tx(void *arg, uint8_t b)
{
}

static void
u_rx_ready(void *arg)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	init_config();
	set_config_value("pci.0.0.0.device", "hostbridge");
	set_config_value("pci.0.31.0.device", "lpc");
	set_config_value("pci.0.3.0.device", "uart");
	set_config_value("pci.0.6.0.device", "amd_hostbridge");
	FZ_CHECK(vm_create("fuzz-devices") == 0);
	ctx = vm_open("fuzz-devices");
	FZ_CHECK(ctx != NULL);
	FZ_CHECK(vm_setup_memory(ctx, RAM_SIZE, VM_MMAP_ALL) == 0);
	guest_ram = vm_map_gpa(ctx, 0, RAM_SIZE);
	FZ_CHECK(guest_ram != NULL);
	init_mem(1);
	init_inout();
	pci_irq_init(ctx);
	FZ_CHECK(init_pci(ctx) == 0);
	FZ_CHECK(atkbdc_init(ctx) == 0);
	FZ_CHECK(pm_init(ctx) == 0);
	FZ_CHECK(post_init() != NULL);
	/* pc-testdev's IRQ ports overlap the PCI I/O window: not with PCI. */
	return (0);
}

/* Access widths a CPU produces. */
static unsigned
width(struct fz *f, bool eight)
{
	static const unsigned w[] = { 1, 2, 4, 8 };

	return (w[fz_u8(f) % (eight ? 4 : 3)]);
}

static void
op_vplatform_pio(struct vplatform *p, struct fz *f)
{
	uint16_t port;
	uint32_t count, val;
	uint8_t sel = fz_u8(f);
	bool in = sel & 1;
	unsigned bytes = width(f, false);

	if (sel & 0x80) {
		port = fz_u16(f);
	} else if (vplatform_port_range(p, (sel >> 1) & 0x3f, &port,
	    &count) == 0 && count > 0) {
		port = (uint16_t)(port + fz_u8(f) % count);
	} else {
		port = fz_u16(f);
	}
	val = fz_u32(f);
	(void)vplatform_pio(p, fz_u8(f) % NCPU, in, port, bytes, &val);
}

static void
op_vplatform_mmio(struct vplatform *p, struct fz *f)
{
	uint64_t gpa, len, val;
	uint8_t sel = fz_u8(f);
	bool write = sel & 1;
	unsigned bytes = width(f, true);

	if (vplatform_mmio_range(p, (sel >> 1) & 7, &gpa, &len) == 0 &&
	    len > 0)
		gpa += fz_u16(f) % len;
	else
		gpa = 0xfec00000ull + fz_u32(f) % 0x1200000;
	val = fz_u64(f);
	(void)vplatform_mmio(p, fz_u8(f) % NCPU, write, gpa, bytes, &val);
}

static void
op_vplatform_msr(struct vplatform *p, struct fz *f)
{
	static const uint32_t msrs[] = { 0x1b, 0x6e0, 0x800, 0x80f, 0x830,
	    0x83e, 0x838, 0x839, 0x83f, 0x802, 0x803, 0x808, 0x80b };
	uint8_t sel = fz_u8(f);
	uint32_t msr;
	uint64_t val;
	int vcpu = fz_u8(f) % NCPU;

	if (sel & 2)
		msr = 0x800 + fz_u8(f);
	else if (sel & 4)
		msr = fz_u32(f);
	else
		msr = msrs[fz_u8(f) % (sizeof(msrs) / sizeof(msrs[0]))];
	val = fz_u64(f);
	if (sel & 1)
		(void)vplatform_wrmsr(p, vcpu, msr, val);
	else
		(void)vplatform_rdmsr(p, vcpu, msr, &val);
	if (sel & 8)
		vplatform_set_cr8(p, vcpu, val & 0xf);
	else
		(void)vplatform_get_cr8(p, vcpu);
}

static void
op_vplatform_irq(struct vplatform *p, struct fz *f)
{
	uint8_t sel = fz_u8(f);
	uint8_t a = fz_u8(f), b = fz_u8(f);
	enum vdev_irq_op op = (enum vdev_irq_op)(b % 3);
	uint64_t addr;

	switch (sel % 9) {
	case 0:
		(void)vplatform_isa_irq(p, a % 17 - 1, b % 33 - 1, op);
		break;
	case 1:
		(void)vplatform_ioapic_irq(p, a % 33 - 1, op);
		break;
	case 2:
		addr = 0xfee00000ull | (uint64_t)fz_u16(f) << 4;
		if (a & 1)
			addr = fz_u64(f);
		(void)vplatform_msi(p, addr, fz_u32(f));
		break;
	case 3:
		(void)vplatform_lapic_irq(p, a % (NCPU + 1), b);
		break;
	case 4:
		(void)vplatform_lapic_local_irq(p, a % (NCPU + 2) - 1, b % 3);
		break;
	case 5:
		(void)vplatform_inject_nmi(p, a % NCPU);
		break;
	case 6:
		(void)vplatform_set_x2apic_state(p, a % NCPU, b & 1);
		break;
	case 7:
		(void)vplatform_isa_set_irq_trigger(p, a % 17, b & 1);
		break;
	default:
		(void)vplatform_apicid2vcpu(p, fz_u32(f));
		break;
	}
}

static void
op_vplatform_ack(struct vplatform *p, struct fz *f)
{
	int vcpu = fz_u8(f) % NCPU, vector;

	if (vplatform_pending_intr(p, vcpu, &vector)) {
		FZ_CHECK(vector >= 0 && vector <= 255);
		vplatform_intr_accepted(p, vcpu, vector);
	}
	if (vplatform_nmi_pending(p, vcpu))
		vplatform_nmi_accepted(p, vcpu);
}

static void
op_vplatform_time(struct vplatform *p, struct fz *f)
{
	uint8_t shift = fz_u8(f) & 31;

	fake_ns += (uint64_t)fz_u16(f) << shift;
	(void)vplatform_run_timers(p);
}

/* A record saved, one field altered, restored: restore must validate. */
static void
op_vplatform_snap(struct vplatform *p, struct fz *f)
{
	static struct vdev_snap_field fields[VPLATFORM_SNAP_FIELDS];
	struct vdev_snap s = { .cap = VPLATFORM_SNAP_FIELDS, .f = fields };
	int idx = fz_u8(f) % 12;
	uint8_t how = fz_u8(f);

	if (vplatform_snapshot(p, idx, &s) != 0)
		return;
	if (s.n > 0 && (how & 1))
		s.f[fz_u8(f) % s.n].val = fz_u64(f);
	if (s.n > 0 && (how & 2))
		s.f[fz_u8(f) % s.n].name[0] ^= 1;	/* a field missing */
	if (how & 4)
		s.version ^= fz_u8(f);
	if (how & 8)
		s.n = fz_u8(f) % (s.n + 1);
	(void)vplatform_restore(p, fz_u8(f) % 12, &s);
}

static void
op_uart(struct uart_softc *sc, struct fz *f)
{
	uint8_t sel = fz_u8(f), buf[UART_FIFO_SIZE + 4];
	int n;

	switch (sel & 3) {
	case 0:
		uart_write(sc, fz_u8(f) & 7, fz_u8(f));
		break;
	case 1:
		(void)uart_read(sc, fz_u8(f) & 7);
		break;
	case 2:
		n = fz_u8(f) % (int)sizeof(buf);
		for (int i = 0; i < n; i++)
			buf[i] = fz_u8(f);
		FZ_CHECK(uart_rx_put(sc, buf, n) <= n);
		break;
	default:
		FZ_CHECK(uart_rx_room(sc) >= 0);
		uart_set_out2_gate(sc, sel & 4);
		break;
	}
}

static void
op_fwcfg(struct qemu_fwcfg *fc, struct fz *f)
{
	static const int ports[] = { FWCFG_PORT_SEL, FWCFG_PORT_DATA,
	    FWCFG_PORT_DMA, FWCFG_PORT_DMA + 4 };
	uint8_t sel = fz_u8(f);
	uint32_t val;
	int port;

	port = sel & 0x80 ? 0x510 + (sel & 0xf) : ports[sel & 3];
	val = fz_u32(f);
	if (port == FWCFG_PORT_DMA + 4 && (sel & 0x40)) {
		/* A descriptor in RAM, DMA address low (big-endian). */
		uint32_t gpa = (fz_u16(f) << 4) % RAM_SIZE;

		for (int i = 0; i < 16; i++)
			guest_ram[gpa + i] = fz_u8(f);
		val = __builtin_bswap32(gpa);
	}
	(void)qemu_fwcfg_pio(fc, (sel >> 2) & 1, port,
	    (int)width(f, false), &val);
}

/*
 * fwctl: a word the protocol expects next (reset, size, operation,
 * transaction id, the "hw.ncpu" name) or anything at all, then maybe a
 * read; the response must always be answerable without a crash.
 */
static void
op_fwctl(struct fwctl *fc, struct fz *f)
{
	static const uint32_t words[] = { 12 + 8, 3, 4, 0x6e2e7768,
	    0x00757063, 0, 12 + 80, 0xffffffff };
	uint8_t sel = fz_u8(f);
	uint32_t val;
	int port = 0x510 + (sel & 1);

	if ((sel & 6) == 0) {
		val = 0;		/* reset */
		(void)fwctl_pio(fc, 0, 0x510, 2, &val);
	} else if ((sel & 6) == 2) {
		val = words[fz_u8(f) % (sizeof(words) / sizeof(words[0]))];
		(void)fwctl_pio(fc, 0, 0x510, 4, &val);
	} else if ((sel & 6) == 4) {
		val = fz_u32(f);
		(void)fwctl_pio(fc, 0, port, (int)width(f, false), &val);
	} else {
		val = 0;
		(void)fwctl_pio(fc, 1, port, (int)width(f, false), &val);
	}
}

static void
op_bhyve_pio(struct fz *f)
{
	static const uint16_t ports[] = { 0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff,
	    0x60, 0x64, 0x70, 0x71, 0x80, 0x92, 0xcf9, 0x4d0, 0x4d1, 0xb2,
	    0x400, 0x402, 0x404, 0x408, 0x3f8, 0x3fd, 0x2f8, 0x2000, 0x2004,
	    0x2008, 0x2010, 0xe9, 0xf4 };
	struct vm_exit vme;
	uint8_t sel = fz_u8(f);

	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.in = sel & 1;
	vme.u.inout.bytes = width(f, false);
	if (sel & 2)
		vme.u.inout.port = fz_u16(f);
	else
		vme.u.inout.port = ports[fz_u8(f) % (sizeof(ports) /
		    sizeof(ports[0]))] + (sel >> 5);
	vme.u.inout.eax = fz_u32(f);
	(void)emulate_inout(ctx, NULL, &vme);
}

static void
op_bhyve_mmio(struct fz *f)
{
	uint8_t sel = fz_u8(f);
	uint64_t gpa, val = fz_u64(f);
	int size = (int)width(f, true);

	switch ((sel >> 1) & 3) {
	case 0:		/* ECAM, bus 0 mostly */
		gpa = PCI_ECAM_BASE + (sel & 8 ? fz_u32(f) % PCI_ECAM_SIZE :
		    fz_u32(f) % (1u << 20));
		break;
	case 1:		/* 32-bit BAR window */
		gpa = pci_emul_mmio32_base() + fz_u32(f) % (1u << 24);
		break;
	case 2:
		gpa = PCI_MMIO64_BASE + fz_u32(f);
		break;
	default:
		gpa = fz_u64(f);
		break;
	}
	if (sel & 1)
		(void)write_mem(NULL, gpa, val, size);
	else
		(void)read_mem(NULL, gpa, &val, size);
}

static void
op_pci_cfg(struct fz *f)
{
	uint8_t sel = fz_u8(f);
	uint32_t val = fz_u32(f);
	int bus = sel & 0x80 ? fz_u8(f) : 0;

	pci_cfgrw(sel & 1, bus, fz_u8(f) % 32, fz_u8(f) % 8,
	    fz_u16(f) % 4096, (int)width(f, false), &val);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct vdev_clock clk = { fake_now, NULL };
	struct vplatform_ops ops = { .notify = p_notify,
	    .init_ipi = p_init_ipi, .sipi = p_sipi, .tsc = p_tsc,
	    .tsc_hz = 1000000000 };
	struct vplatform_config cfg = { .clock = &clk,
	    .manual_timers = true };
	struct vplatform *p;
	struct uart_softc *sc;
	struct qemu_fwcfg *fc;
	struct fwctl *fctl;
	int nops;

	fake_ns = 1000000000;
	p = vplatform_create_cfg(NCPU, &ops, &cfg);
	FZ_CHECK(p != NULL);
	sc = uart_init(u_intr, u_intr, NULL);
	FZ_CHECK(sc != NULL);
	uart_set_io(sc, u_tx, u_rx_ready, NULL);
	fc = qemu_fwcfg_create(ctx);
	FZ_CHECK(fc != NULL);
	FZ_CHECK(qemu_fwcfg_add_file(fc, "etc/fuzz", "0123456789", 10) == 0);
	fctl = fwctl_create(NCPU);
	FZ_CHECK(fctl != NULL);

	for (nops = 0; !fz_empty(&f) && nops < MAX_OPS; nops++) {
		switch (fz_u8(&f) % 16) {
		case 0:
		case 1:
			op_vplatform_pio(p, &f);
			break;
		case 2:
		case 3:
			op_vplatform_mmio(p, &f);
			break;
		case 4:
			op_vplatform_msr(p, &f);
			break;
		case 5:
			op_vplatform_irq(p, &f);
			break;
		case 6:
			op_vplatform_ack(p, &f);
			break;
		case 7:
			op_vplatform_time(p, &f);
			break;
		case 8:
			if (fz_u8(&f) == 0xa5)
				FZ_CHECK(vplatform_reset(p) == 0);
			else
				op_vplatform_snap(p, &f);
			break;
		case 9:
			op_uart(sc, &f);
			break;
		case 10:
			op_fwcfg(fc, &f);
			break;
		case 11:
		case 12:
			op_bhyve_pio(&f);
			break;
		case 13:
			op_bhyve_mmio(&f);
			break;
		case 15:
			op_fwctl(fctl, &f);
			break;
		default:
			op_pci_cfg(&f);
			break;
		}
	}
	fwctl_destroy(fctl);
	qemu_fwcfg_destroy(fc);
	uart_destroy(sc);
	vplatform_destroy(p);
	return (0);
}
