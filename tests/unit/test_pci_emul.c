/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PCI bus emulation: config mechanism #1 and ECAM, read-only fields
 * and write masks, BAR sizing (I/O, 32/64-bit memory, ROM) and moves,
 * MSI and MSI-X, INTx through the PIRQ router, the LPC and host bridge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bhyve/config.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/pci_emul.h"
#include "bhyve/snapshot.h"
#include "tests/unit/snap_fixture.h"
#include "bhyve/uart_emul.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	MB	(1024 * 1024)
#define	TSLOT	5		/* the test device */
#define	USLOT	3		/* the PCI uart */

/* A device with every kind of BAR and both MSI flavours. */
static uint64_t last_bar_off;

static uint64_t
tdev_barread(struct pci_devinst *pi, int baridx, uint64_t off, int size)
{
	(void)pi;
	(void)size;
	last_bar_off = off;
	return (0x1000u + (uint64_t)baridx);
}

/* A 4 KiB expansion ROM image starting with a marker. */
static const uint8_t rom_image[4096] = { 'R', 'O', 'M', '!' };

static int
tdev_init(struct pci_devinst *pi, config_node_t *nvl)
{
	(void)nvl;
	pci_set_cfgdata16(pi, PCIR_VENDOR, 0x1234);
	pci_set_cfgdata16(pi, PCIR_DEVICE, 0x5678);
	if (pci_emul_alloc_bar(pi, 0, PCIBAR_MEM32, 4096) != 0 ||
	    pci_emul_alloc_bar(pi, 1, PCIBAR_MEM64, 1 * MB) != 0 ||
	    pci_emul_alloc_bar(pi, 3, PCIBAR_IO, 32) != 0 ||
	    pci_emul_add_msicap(pi, 4) != 0 ||
	    pci_emul_add_msixcap(pi, 8, 4) != 0 ||
	    pci_emul_alloc_rom(pi, sizeof(rom_image), rom_image) != 0 ||
	    pci_lintr_request(pi) != 0)
		return (-1);
	return (0);
}

static const struct pci_devemu tdev = {
	.pe_emu = "test",
	.pe_init = tdev_init,
	.pe_barread = tdev_barread,
};

struct env {
	struct vmctx	*ctx;
};

static struct env env;

/* A fresh PCI tree from the config (with the test device at TSLOT). */
static void
make_tree(void)
{
	init_mem(1);
	init_inout();
	pci_irq_init(env.ctx);
	assert_int_equal(pci_emul_init_devinst(env.ctx, 0, TSLOT, 0, &tdev,
	    NULL), 0);
	assert_int_equal(init_pci(env.ctx), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	init_config();
	set_config_value("pci.0.0.0.device", "hostbridge");
	set_config_value("pci.0.31.0.device", "lpc");
	set_config_value("pci.0.3.0.device", "uart");
	set_config_value("pci.0.6.0.device", "amd_hostbridge");
	set_config_value("pci.0.6.0.pcireg.vendor", "0x1022");
	set_config_value("pci.0.6.0.pcireg.device", "0x7432");
	set_config_value("pci.0.6.1.device", "hostbridge");
	env.ctx = test_vm_new("pci-test", 64 * MB);
	make_tree();
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	fini_pci();
	vm_destroy(env.ctx);
	free_config();
	return (0);
}

/* Port I/O as a vCPU would do it. */
static uint32_t
pio(int in, int port, int bytes, uint32_t val)
{
	struct vm_exit vme;
	int rc;

	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.in = in;
	vme.u.inout.bytes = bytes;
	vme.u.inout.port = port;
	vme.u.inout.eax = val;
	rc = emulate_inout(env.ctx, NULL, &vme);
	if (rc == INOUT_UNHANDLED)
		return (0xdeadbeef);
	assert_int_equal(rc, 0);
	return (vme.u.inout.eax);
}

static uint32_t
cfg1_read(int slot, int func, int reg, int bytes)
{
	pio(0, 0xcf8, 4, 0x80000000u | slot << 11 | func << 8 | (reg & 0xfc));
	return (pio(1, 0xcfc + (reg & 3), bytes, 0));
}

static void
cfg1_write(int slot, int func, int reg, int bytes, uint32_t v)
{
	pio(0, 0xcf8, 4, 0x80000000u | slot << 11 | func << 8 | (reg & 0xfc));
	pio(0, 0xcfc + (reg & 3), bytes, v);
}

static uint64_t
ecam_read(int bus, int slot, int func, int reg, int size)
{
	uint64_t v = 0;

	assert_int_equal(read_mem(NULL, PCI_ECAM_BASE + ((uint64_t)bus << 20 |
	    (uint64_t)slot << 15 | (uint64_t)func << 12 | (uint64_t)reg), &v,
	    size), 0);
	return (v);
}

static uint32_t
cfg(int slot, int func, int reg, int bytes)
{
	uint32_t v;

	pci_cfgrw(1, 0, slot, func, reg, bytes, &v);
	return (v);
}

static void
cfgw(int slot, int func, int reg, int bytes, uint32_t v)
{
	pci_cfgrw(0, 0, slot, func, reg, bytes, &v);
}

static void
test_mechanism1(void **state)
{
	(void)state;
	assert_int_equal(cfg1_read(0, 0, 0, 4), 0x12751275);
	assert_int_equal(cfg1_read(31, 0, 0, 4), 0x70008086);
	/* Byte and word lanes at 0xCFC-0xCFF. */
	assert_int_equal(cfg1_read(31, 0, 0x0a, 2), 0x0601);
	assert_int_equal(cfg1_read(31, 0, 0x0b, 1), 0x06);
	assert_int_equal(cfg1_read(USLOT, 0, 0x09, 1), 0x02);
	/* Writes through 0xCFC-0xCFF: interrupt line byte. */
	cfg1_write(USLOT, 0, PCIR_INTLINE, 1, 0x0b);
	assert_int_equal(cfg1_read(USLOT, 0, PCIR_INTLINE, 1), 0x0b);
	cfg1_write(USLOT, 0, PCIR_INTLINE, 1, pirq_irq(USLOT));
	/* Absent function: all-ones. */
	assert_int_equal(cfg1_read(9, 0, 0, 4), 0xffffffffu);
	assert_int_equal(cfg1_read(9, 0, 0, 1), 0xff);
	/* CONFIG_ADDRESS: dword only, reserved bits zero. */
	pio(0, 0xcf8, 4, 0xffffffffu);
	assert_int_equal(pio(1, 0xcf8, 4, 0), 0x80fffffcu);
	pio(0, 0xcf8, 4, 0);
	assert_int_equal(pio(1, 0xcfc, 4, 0), 0xffffffffu);	/* disabled */
	/* inl at 0xCFE: two config bytes, the rest is not config. */
	pio(0, 0xcf8, 4, 0x80000000u);
	assert_int_equal(pio(1, 0xcfe, 4, 0), 0xffff1275u);
}

static void
test_ecam(void **state)
{
	(void)state;
	assert_int_equal(ecam_read(0, 0, 0, 0, 4), 0x12751275);
	assert_int_equal(ecam_read(0, 31, 0, 2, 2), 0x7000);
	assert_int_equal(ecam_read(0, 0, 0, 0, 8) & 0xffffffffu, 0x12751275);
	/* Extended space of a present function reads zero. */
	assert_int_equal(ecam_read(0, 0, 0, 0x100, 4), 0);
	/* Absent function, absent bus. */
	assert_int_equal(ecam_read(0, 9, 0, 0, 4), 0xffffffffu);
	assert_int_equal(ecam_read(7, 0, 0, 0, 2), 0xffff);
}

static void
test_readonly_fields(void **state)
{
	(void)state;
	cfgw(0, 0, PCIR_VENDOR, 4, 0);
	assert_int_equal(cfg(0, 0, PCIR_VENDOR, 4), 0x12751275);
	cfgw(0, 0, PCIR_REVID, 4, 0xffffffffu);
	assert_int_equal(cfg(0, 0, PCIR_CLASS, 1), PCIC_BRIDGE);
	/* Cache line size and latency timer are writable. */
	cfgw(0, 0, PCIR_CACHELNSZ, 2, 0x4010);
	assert_int_equal(cfg(0, 0, PCIR_CACHELNSZ, 2), 0x4010);
	/* Header type, capability pointer: read-only. */
	cfgw(0, 0, PCIR_HDRTYPE, 1, 0x7f);
	assert_int_equal(cfg(0, 0, PCIR_HDRTYPE, 1), 0);
	cfgw(0, 0, PCIR_CAP_PTR, 1, 0x80);
	assert_int_equal(cfg(0, 0, PCIR_CAP_PTR, 1), 0x40);
	/* Capability list present; the host bridge's is PCIe. */
	assert_true(cfg(0, 0, PCIR_STATUS, 2) & PCIM_STATUS_CAPPRESENT);
	assert_int_equal(cfg(0, 0, 0x40, 1), PCIY_EXPRESS);
	assert_int_equal(cfg(0, 0, 0x42, 1) >> 4, PCIEM_TYPE_ROOT_PORT);
	cfgw(0, 0, 0x40, 2, 0xffff);			/* ID, next: RO */
	assert_int_equal(cfg(0, 0, 0x40, 2), PCIY_EXPRESS);
	/* Unaligned dword: split into bytes. */
	assert_int_equal(cfg(0, 0, 1, 4), 0x00127512u);
	/* Command: only defined bits stick. */
	cfgw(0, 0, PCIR_COMMAND, 2, 0xffff);
	assert_int_equal(cfg(0, 0, PCIR_COMMAND, 2), 0x0547);
	cfgw(0, 0, PCIR_COMMAND, 2, 0);
}

static void
test_pcireg_and_multifunction(void **state)
{
	(void)state;
	assert_int_equal(cfg(6, 0, PCIR_VENDOR, 4), 0x74321022);
	/* Both functions of slot 6 say multi-function. */
	assert_int_equal(cfg(6, 0, PCIR_HDRTYPE, 1), PCIM_MFDEV);
	assert_int_equal(cfg(6, 1, PCIR_HDRTYPE, 1), PCIM_MFDEV);
	assert_int_equal(cfg(0, 0, PCIR_HDRTYPE, 1), 0);
}

/* Size a BAR as an OS does: write all-ones, read, restore. */
static uint32_t
bar_size_probe(int slot, int reg)
{
	uint32_t old = cfg(slot, 0, reg, 4), v;

	cfgw(slot, 0, reg, 4, 0xffffffffu);
	v = cfg(slot, 0, reg, 4);
	cfgw(slot, 0, reg, 4, old);
	assert_int_equal(cfg(slot, 0, reg, 4), old);
	return (v);
}

static void
test_bar_sizing(void **state)
{
	(void)state;
	/* I/O: 32 bytes; bits 31:2 are address bits, as SeaBIOS sizes them. */
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BAR(3)), 0xffffffe1u);
	/* Memory, 32-bit non-prefetchable: 4 KiB. */
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BAR(0)), 0xfffff000u);
	/* 64-bit: 1 MiB; the upper half sizes as all-ones. */
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BAR(1)), 0xfff00004u);
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BAR(2)), 0xffffffffu);
	/* Unimplemented BAR: hardwired zero. */
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BAR(5)), 0);
	/* ROM: 4 KiB, enable bit kept. */
	assert_int_equal(bar_size_probe(TSLOT, PCIR_BIOS), 0xfffff001u);
	/* The uart's 8-byte I/O BAR. */
	assert_int_equal(bar_size_probe(USLOT, PCIR_BAR(0)), 0xfffffff9u);
}

static void
test_bar_placement(void **state)
{
	uint32_t lo, hi, io;

	(void)state;
	io = cfg(TSLOT, 0, PCIR_BAR(3), 4) & ~3u;
	assert_true(io >= PCI_IOBASE_START && io % 32 == 0);
	lo = cfg(TSLOT, 0, PCIR_BAR(0), 4) & ~0xfu;
	assert_true(lo >= 0xc0000000u && lo < 0xe0000000u && lo % 4096 == 0);
	lo = cfg(TSLOT, 0, PCIR_BAR(1), 4) & ~0xfu;
	hi = cfg(TSLOT, 0, PCIR_BAR(2), 4);
	assert_true(((uint64_t)hi << 32 | lo) >= PCI_MMIO64_BASE);
	/* Decoding was enabled, as firmware leaves it. */
	assert_int_equal(cfg(TSLOT, 0, PCIR_COMMAND, 2) & 3, 3);
	assert_int_equal(pio(1, (int)io + 4, 1, 0), 0x1003);
}

static void
test_bar_move(void **state)
{
	uint32_t io, lsr;
	uint64_t v, base;

	(void)state;
	io = cfg(USLOT, 0, PCIR_BAR(0), 4) & ~3u;
	lsr = pio(1, (int)io + 5, 1, 0);
	assert_int_equal(lsr & 0x60, 0x60);		/* THRE, TEMT */
	cfgw(USLOT, 0, PCIR_BAR(0), 4, 0x3000);
	assert_int_equal(cfg(USLOT, 0, PCIR_BAR(0), 4), 0x3001);
	assert_int_equal(pio(1, (int)io + 5, 1, 0), 0xdeadbeef);	/* gone */
	assert_int_equal(pio(1, 0x3005, 1, 0) & 0x60, 0x60);
	/* Past the 64 KiB of port space: held, but decodes nothing. */
	cfgw(USLOT, 0, PCIR_BAR(0), 4, 0x13000);
	assert_int_equal(cfg(USLOT, 0, PCIR_BAR(0), 4), 0x13001);
	assert_int_equal(pio(1, 0x3005, 1, 0), 0xdeadbeef);
	cfgw(USLOT, 0, PCIR_BAR(0), 4, 0x3000);
	assert_int_equal(pio(1, 0x3005, 1, 0) & 0x60, 0x60);
	/* I/O decode off: the port is released. */
	cfgw(USLOT, 0, PCIR_COMMAND, 2, 0);
	assert_int_equal(pio(1, 0x3005, 1, 0), 0xdeadbeef);
	cfgw(USLOT, 0, PCIR_COMMAND, 2, PCIM_CMD_PORTEN);
	assert_int_equal(pio(1, 0x3005, 1, 0) & 0x60, 0x60);
	cfgw(USLOT, 0, PCIR_BAR(0), 4, io);

	/* A memory BAR moves too; reads reach the device at its offset. */
	base = cfg(TSLOT, 0, PCIR_BAR(0), 4) & ~0xfu;
	assert_int_equal(read_mem(NULL, base + 8, &v, 4), 0);
	assert_int_equal(v, 0x1000);
	assert_int_equal(last_bar_off, 8);
	cfgw(TSLOT, 0, PCIR_BAR(0), 4, 0xd0000000u);
	assert_int_equal(read_mem(NULL, 0xd0000010u, &v, 4), 0);
	assert_int_equal(last_bar_off, 0x10);
	assert_int_equal(read_mem(NULL, base + 8, &v, 4), -1);	/* nobody */
	cfgw(TSLOT, 0, PCIR_BAR(0), 4, (uint32_t)base);

	/* The ROM decodes only with its enable bit and MEMEN. */
	base = cfg(TSLOT, 0, PCIR_BIOS, 4) & ~0x7ffu;
	assert_int_equal(read_mem(NULL, base, &v, 4), -1);
	cfgw(TSLOT, 0, PCIR_BIOS, 4, (uint32_t)base | 1);
	assert_int_equal(read_mem(NULL, base, &v, 4), 0);
	assert_memory_equal(&v, "ROM!", 4);
	cfgw(TSLOT, 0, PCIR_BIOS, 4, (uint32_t)base);
}

static int
find_cap(int slot, int id)
{
	int c = (int)cfg(slot, 0, PCIR_CAP_PTR, 1);

	while (c != 0) {
		if ((int)cfg(slot, 0, c, 1) == id)
			return (c);
		c = (int)cfg(slot, 0, c + 1, 1);
	}
	return (-1);
}

static void
test_msi(void **state)
{
	struct pci_devinst *pi = pci_find_devinst(0, TSLOT, 0);
	int c = find_cap(TSLOT, PCIY_MSI);

	(void)state;
	assert_true(c >= 0x40);
	/* 4 messages capable (MMC=2), 64-bit. */
	assert_int_equal(cfg(TSLOT, 0, c + 2, 2), 0x0084);
	cfgw(TSLOT, 0, c + 4, 4, 0xfee00003u);
	assert_int_equal(cfg(TSLOT, 0, c + 4, 4), 0xfee00000u);
	cfgw(TSLOT, 0, c + 12, 2, 0x4041);
	/* MME beyond MMC is clamped; enable. */
	cfgw(TSLOT, 0, c + 2, 2, 0x0071);
	assert_int_equal(cfg(TSLOT, 0, c + 2, 2), 0x00a5);
	assert_true(pci_msi_enabled(pi));
	assert_int_equal(pci_msi_maxmsgnum(pi), 4);
	pci_generate_msi(pi, 3);		/* defined, delivered */
	pci_generate_msi(pi, 9);		/* out of range: ignored */
	cfgw(TSLOT, 0, c + 2, 2, 0);
	assert_false(pci_msi_enabled(pi));
}

static void
test_msix(void **state)
{
	struct pci_devinst *pi = pci_find_devinst(0, TSLOT, 0);
	int c = find_cap(TSLOT, PCIY_MSIX);
	uint64_t base, v, pba;

	(void)state;
	assert_true(c >= 0x40);
	assert_int_equal(cfg(TSLOT, 0, c + 2, 2), 7);	/* 8 vectors */
	assert_int_equal(cfg(TSLOT, 0, c + 4, 4), 4);	/* table: BAR 4 */
	pba = cfg(TSLOT, 0, c + 8, 4);
	assert_int_equal(pba & 7, 4);
	pba &= ~7u;
	base = cfg(TSLOT, 0, PCIR_BAR(4), 4) & ~0xfu;
	assert_true(base != 0);
	/* Vectors are masked after reset. */
	assert_int_equal(read_mem(NULL, base + 12, &v, 4), 0);
	assert_int_equal(v, 1);
	/* Program vector 2; only the mask bit of vector control sticks. */
	assert_int_equal(write_mem(NULL, base + 32, 0xfee00000u, 8), 0);
	assert_int_equal(write_mem(NULL, base + 40, 0xffffffff00000031ull,
	    8), 0);
	assert_int_equal(read_mem(NULL, base + 40, &v, 8), 0);
	assert_int_equal(v, 0x0000000100000031ull);
	/* Odd-sized access: all-ones, no effect. */
	assert_int_equal(read_mem(NULL, base + 33, &v, 2), 0);
	assert_int_equal(v & 0xffff, 0xffff);
	/* Enable with the function masked: a message goes pending. */
	cfgw(TSLOT, 0, c + 2, 2, 0xc000);
	cfgw(TSLOT, 0, PCIR_COMMAND, 2, 0x0007);
	assert_true(pci_msix_enabled(pi));
	pci_generate_msix(pi, 2);
	assert_int_equal(read_mem(NULL, base + pba, &v, 8), 0);
	assert_int_equal(v, 1u << 2);
	/* PBA is read-only. */
	assert_int_equal(write_mem(NULL, base + pba, 0, 8), 0);
	assert_int_equal(read_mem(NULL, base + pba, &v, 8), 0);
	assert_int_equal(v, 1u << 2);
	/* Function unmasked, vector still masked: stays pending. */
	cfgw(TSLOT, 0, c + 2, 2, 0x8000);
	assert_int_equal(read_mem(NULL, base + pba, &v, 4), 0);
	assert_int_equal(v, 1u << 2);
	/* Unmasking the vector sends it and clears the bit. */
	assert_int_equal(write_mem(NULL, base + 44, 0, 4), 0);
	assert_int_equal(read_mem(NULL, base + pba, &v, 4), 0);
	assert_int_equal(v, 0);
	/* Out of range index: ignored. */
	pci_generate_msix(pi, 8);
	cfgw(TSLOT, 0, c + 2, 2, 0);
	assert_false(pci_msix_enabled(pi));
	cfgw(TSLOT, 0, PCIR_COMMAND, 2, 0x0003);
}

static void
test_pirq(void **state)
{
	struct pci_devinst *pi = pci_find_devinst(0, TSLOT, 0);
	int link = (TSLOT + 0) & 7, ureg = 0x60 + USLOT;
	uint32_t v;

	(void)state;
	/* uart in slot 3, INTA: PIRQD, got a pool IRQ at startup. */
	assert_int_equal(cfg(USLOT, 0, PCIR_INTPIN, 1), 1);
	v = cfg(31, 0, ureg, 1);
	assert_int_equal(v & 0x80, 0);
	assert_int_equal(cfg(USLOT, 0, PCIR_INTLINE, 1), v);
	/* Reserved bits 6:4 read zero; unused PIRQs are disabled. */
	cfgw(31, 0, ureg, 1, 0x7b);
	assert_int_equal(cfg(31, 0, ureg, 1), 0x0b);
	assert_int_equal(pirq_irq(USLOT), 11);
	cfgw(31, 0, ureg, 1, 0x80);
	assert_int_equal(pirq_irq(USLOT), 0);
	cfgw(31, 0, ureg, 1, v);
	assert_int_equal(cfg(31, 0, 0x64, 4), 0);	/* reserved range */
	/* PIRQE-H at 0x68-0x6B: test device in slot 5 uses PIRQF. */
	assert_int_equal(link, 5);
	assert_int_equal(cfg(31, 0, 0x69, 1) & 0x80, 0);
	cfgw(31, 0, 0x68, 4, 0x80808080u);
	assert_int_equal(cfg(31, 0, 0x68, 4), 0x80808080u);
	cfgw(31, 0, 0x69, 1, 10);
	/* INTx: status bit follows the device; INTx disable gates it. */
	pci_lintr_assert(pi);
	assert_true(cfg(TSLOT, 0, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	cfgw(TSLOT, 0, PCIR_COMMAND, 2, 0x0403);
	assert_true(pi->pi_lintr.state);
	assert_false(pi->pi_lintr.routed);
	cfgw(TSLOT, 0, PCIR_COMMAND, 2, 0x0003);
	assert_true(pi->pi_lintr.routed);
	/* Rerouting an asserted PIRQ moves the line. */
	cfgw(31, 0, 0x69, 1, 11);
	pci_lintr_deassert(pi);
	assert_false(cfg(TSLOT, 0, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	assert_false(pi->pi_lintr.routed);
}

static void
test_uart_intx(void **state)
{
	struct pci_devinst *pi = pci_find_devinst(0, USLOT, 0);
	uint32_t io = cfg(USLOT, 0, PCIR_BAR(0), 4) & ~3u;

	(void)state;
	/* THRE interrupt enabled: INTA asserted without OUT2 (PCI). */
	pio(0, (int)io + 1, 1, 0x02);
	assert_true(pi->pi_lintr.state);
	assert_int_equal(pio(1, (int)io + 2, 1, 0), 0x02);
	assert_false(pi->pi_lintr.state);
	pio(0, (int)io + 1, 1, 0);
	/* An access straddling the BAR's end: defined and ignored. */
	assert_int_equal(pio(1, (int)io + 6, 4, 0), 0xffffffffu);
}

/* ---- Save and restore ---- */

/* Every function of the tree, and what a guest reads of it freely. */
static const int tree_fns[][2] = {
	{ 0, 0 }, { USLOT, 0 }, { TSLOT, 0 }, { 6, 0 }, { 6, 1 }, { 31, 0 },
};
#define	NFNS	(sizeof(tree_fns) / sizeof(tree_fns[0]))

struct guest_view {
	uint32_t	cfg[NFNS][64];
	uint64_t	msix[8 * 2];	/* the test device's table */
	uint64_t	pba;
	uint32_t	cf8;
};

static void
guest_view(struct guest_view *v)
{
	int c = find_cap(TSLOT, PCIY_MSIX);
	uint64_t base, pba;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < NFNS; i++)
		for (int reg = 0; reg < 256; reg += 4)
			v->cfg[i][reg / 4] = cfg(tree_fns[i][0],
			    tree_fns[i][1], reg, 4);
	base = cfg(TSLOT, 0, PCIR_BAR(4), 4) & ~0xfu;
	pba = cfg(TSLOT, 0, c + 8, 4) & ~7u;
	for (int i = 0; i < 16; i++)
		assert_int_equal(read_mem(NULL, base + (uint64_t)i * 8,
		    &v->msix[i], 8), 0);
	assert_int_equal(read_mem(NULL, base + pba, &v->pba, 8), 0);
	v->cf8 = pio(1, 0xcf8, 4, 0);
}

/*
 * Program BARs, MSI-X, PIRQs, INTx and the uart, save the tree, build a
 * fresh one from the config and restore into it: the guest reads the
 * same config space and MSI-X table, the BARs decode where they were
 * moved, pending state carries on.
 */
static void
test_snapshot_roundtrip(void **state)
{
	struct pci_devinst *up, *tp;
	struct guest_view before, after;
	int c = find_cap(TSLOT, PCIY_MSIX);
	uint64_t base, v;
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	up = pci_find_devinst(0, USLOT, 0);
	cfgw(USLOT, 0, PCIR_BAR(0), 4, 0x3000);
	cfgw(TSLOT, 0, PCIR_BAR(0), 4, 0xd0000000u);
	cfgw(31, 0, 0x69, 1, 10);
	/* MSI-X on, function masked; vector 2 unmasked and pending. */
	base = cfg(TSLOT, 0, PCIR_BAR(4), 4) & ~0xfu;
	assert_int_equal(write_mem(NULL, base + 32, 0xfee01000u, 8), 0);
	assert_int_equal(write_mem(NULL, base + 40, 0x41, 8), 0);
	assert_int_equal(write_mem(NULL, base + 80, 0xfee02000u, 8), 0);
	cfgw(TSLOT, 0, PCIR_COMMAND, 2, 0x0007);
	cfgw(TSLOT, 0, c + 2, 2, 0xc000);
	pci_generate_msix(pci_find_devinst(0, TSLOT, 0), 2);
	/* The uart (no FIFO: no timeout): a byte in, data + THRE. */
	assert_int_equal(uart_rx_put(up->pi_arg, (const uint8_t *)"PCI", 3),
	    1);
	pio(0, 0x3001, 1, 0x03);
	assert_true(up->pi_lintr.state && up->pi_lintr.routed);
	pio(0, 0xcf8, 4, 0x80001808u);
	guest_view(&before);
	assert_int_equal(before.pba, 1u << 2);

	assert_int_equal(snapshot_userland_save(&buf, &len, err,
	    sizeof(err)), 0);
	fini_pci();
	make_tree();
	/* Fresh: the uart's BAR where placement put it, nothing pending. */
	assert_true(cfg(USLOT, 0, PCIR_BAR(0), 4) != 0x3001);
	assert_int_equal(snapshot_userland_restore(buf, len, err,
	    sizeof(err)), 0);
	free(buf);

	guest_view(&after);
	assert_memory_equal(&before, &after, sizeof(before));
	up = pci_find_devinst(0, USLOT, 0);
	tp = pci_find_devinst(0, TSLOT, 0);
	assert_true(up->pi_lintr.state && up->pi_lintr.routed);
	assert_true(pci_msix_enabled(tp));
	/* BARs decode at the restored addresses. */
	assert_int_equal(read_mem(NULL, 0xd0000010u, &v, 4), 0);
	assert_int_equal(v, 0x1000);
	assert_int_equal(pio(1, 0x3002, 1, 0), 0x04);	/* data first */
	assert_int_equal(pio(1, 0x3000, 1, 0), 'P');
	assert_int_equal(pio(1, 0x3002, 1, 0), 0x02);	/* then THRE */
	assert_false(up->pi_lintr.state);
	/* Unmasking the function sends the pending vector. */
	cfgw(TSLOT, 0, c + 2, 2, 0x8000);
	base = cfg(TSLOT, 0, PCIR_BAR(4), 4) & ~0xfu;
	assert_int_equal(read_mem(NULL, base + (cfg(TSLOT, 0, c + 8, 4) &
	    ~7u), &v, 8), 0);
	assert_int_equal(v, 0);
	/* Leave the tree as the other tests expect it. */
	cfgw(TSLOT, 0, c + 2, 2, 0);
	pio(0, 0x3001, 1, 0);
}

static void
tweak_blob(struct snap_rec *r, const char *name, size_t off, uint8_t xor)
{
	const uint8_t *p;
	uint8_t *copy;
	size_t n;

	assert_int_equal(snap_get_blob(r, name, &p, &n), 0);
	assert_true(off < n);
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, p, n);
	copy[off] ^= xor;
	assert_int_equal(snap_put_blob(r, name, copy, n), 0);
	free(copy);
}

/* Records that do not fit the device are refused; the tree is unchanged. */
static void
test_snapshot_refused(void **state)
{
	static const uint8_t pba16[16];
	struct guest_view before, after;
	int c = find_cap(TSLOT, PCIY_MSIX);
	struct snap_image *img;
	struct snap_rec *r;
	char err[256];

	(void)state;
	guest_view(&before);
#define	REFUSED(id, tweak, msg) do {					\
	SNAP_REFUSED(id, tweak, msg);					\
	guest_view(&after);						\
	assert_memory_equal(&before, &after, sizeof(before));		\
} while (0)

	REFUSED("pci.0.5.0", tweak_blob(r, "pci.cfg", 0, 1),
	    "config byte 0 is 0x35");
	REFUSED("pci.0.5.0", tweak_blob(r, "pci.cfg", c + 2, 1),
	    "read-only bits differ");
	REFUSED("pci.0.5.0", tweak_blob(r, "pci.cfg", PCIR_COMMAND + 1, 0x80),
	    "config byte 0x5");
	REFUSED("pci.0.5.0", tweak_blob(r, "pci.cfg", PCIR_STATUS, 0x10),
	    "config byte 0x6");
	REFUSED("pci.0.5.0", snap_put_u64(r, "pci.bar0.addr", 0xd0000010u),
	    "BAR 0 address 0xd0000010");
	REFUSED("pci.0.5.0", snap_put_u64(r, "pci.bar3.addr", 0xfff0),
	    "BAR 3 address 0xfff0");
	REFUSED("pci.0.5.0", snap_put_u64(r, "pci.bar1.size", 0x1000),
	    "BAR 1 is type");
	REFUSED("pci.0.5.0", tweak_blob(r, "pci.msix.table", 16 + 13, 1),
	    "MSI-X entry 1: reserved");
	REFUSED("pci.0.5.0", tweak_blob(r, "pci.msix.pba", 1, 2),
	    "PBA bit 9");
	REFUSED("pci.0.5.0", snap_put_blob(r, "pci.msix.pba", pba16, 16),
	    "MSI-X table/PBA");
	REFUSED("pci.0.5.0", snap_put_u64(r, "pci.version", 2),
	    "\"pci.version\" = 0x2 out of range");
	REFUSED("pci.0.5.0", snap_put_u64(r, "pci.intx", 3),
	    "\"pci.intx\" = 0x3");
	REFUSED("pci.0.5.0", snap_rec_set_version(r, 1), "not supported");
	/* The model refuses: the bus part (a BAR move) is not applied. */
	REFUSED("pci.0.3.0", (snap_put_u64(r, "pci.bar0.addr", 0x4000),
	    snap_put_u64(r, "ier", 0xff)), "\"ier\" = 0xff");
	REFUSED("pci.0.31.0", snap_put_u64(r, "pirqc", 0x70), "\"pirqc\"");
	REFUSED("pci.0.0.0", snap_rec_set_version(r, 9), "not supported");
	REFUSED("pci", snap_put_u64(r, "cf8", 0x7f000000u), "reserved bits");
#undef REFUSED
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mechanism1),
		cmocka_unit_test(test_ecam),
		cmocka_unit_test(test_readonly_fields),
		cmocka_unit_test(test_pcireg_and_multifunction),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bar_placement),
		cmocka_unit_test(test_bar_move),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_msix),
		cmocka_unit_test(test_pirq),
		cmocka_unit_test(test_uart_intx),
		cmocka_unit_test(test_snapshot_roundtrip),
		cmocka_unit_test(test_snapshot_refused),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
