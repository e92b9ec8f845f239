/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A 16550A on PCI (-s N,uart[,backend]): the UART core of uart_emul.c
 * behind an 8-byte I/O BAR, interrupting through INTx.  The IDs are
 * SIIG's Cyber Serial (131f:2000, class simple communications, 16550
 * programming interface), which guests' 8250 drivers know as a single
 * UART at BAR 0, as bhyve presents it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bhyve/config.h"
#include "bhyve/pci_emul.h"
#include "bhyve/uart_emul.h"

#define	COM_VENDOR	0x131f
#define	COM_DEVICE	0x2000
#define	PCIP_16550	0x02

static void
pci_uart_intr_assert(void *arg)
{
	pci_lintr_assert(arg);
}

static void
pci_uart_intr_deassert(void *arg)
{
	pci_lintr_deassert(arg);
}

static void
pci_uart_write(struct pci_devinst *pi, int baridx, uint64_t offset, int size,
    uint64_t value)
{
	/* The bus checked offset + size against the 8-byte BAR. */
	if (baridx != 0)
		return;
	for (int i = 0; i < size; i++)
		uart_write(pi->pi_arg, (int)offset + i,
		    (uint8_t)(value >> (i * 8)));
}

static uint64_t
pci_uart_read(struct pci_devinst *pi, int baridx, uint64_t offset, int size)
{
	uint64_t v = 0;

	if (baridx != 0)
		return (~0ull);
	for (int i = 0; i < size; i++)
		v |= (uint64_t)uart_read(pi->pi_arg, (int)offset + i) <<
		    (i * 8);
	return (v);
}

static int
pci_uart_init(struct pci_devinst *pi, config_node_t *nvl)
{
	struct uart_softc *sc;
	const char *device;

	if (pci_emul_alloc_bar(pi, 0, PCIBAR_IO, UART_IO_BAR_SIZE) != 0 ||
	    pci_lintr_request(pi) != 0)
		return (-1);
	pci_set_cfgdata16(pi, PCIR_VENDOR, COM_VENDOR);
	pci_set_cfgdata16(pi, PCIR_DEVICE, COM_DEVICE);
	pci_set_cfgdata8(pi, PCIR_CLASS, PCIC_SIMPLECOMM);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, PCIS_SIMPLECOMM_UART);
	pci_set_cfgdata8(pi, PCIR_PROGIF, PCIP_16550);
	sc = uart_init(pci_uart_intr_assert, pci_uart_intr_deassert, pi);
	if (sc == NULL)
		return (-1);
	/* INTx is not gated by OUT2 on a PCI card. */
	uart_set_out2_gate(sc, false);
	pi->pi_arg = sc;
	device = get_config_value_node(nvl, "path");
	if (uart_set_backend(sc, device) != 0) {
		fprintf(stderr, "Unable to initialize backend '%s' for pci "
		    "uart at %d:%d\n", device, pi->pi_slot, pi->pi_func);
		uart_destroy(sc);
		pi->pi_arg = NULL;
		return (-1);
	}
	return (0);
}

/* The model's record is the UART core's ("uart", UART_SNAP_VERSION). */
static int
pci_uart_snapshot(struct pci_devinst *pi, struct snap_rec *r)
{
	return (uart_snapshot(pi->pi_arg, r));
}

static int
pci_uart_restore(struct pci_devinst *pi, struct snap_rec *r)
{
	return (uart_restore(pi->pi_arg, r));
}

static void
pci_uart_teardown(struct pci_devinst *pi)
{
	uart_destroy(pi->pi_arg);	/* NULL after a failed init */
	pi->pi_arg = NULL;
}

/* The whole option string is the TTY backend. */
static int
pci_uart_legacy_config(config_node_t *nvl, const char *opts)
{
	if (opts != NULL)
		set_config_value_node(nvl, "path", opts);
	return (0);
}

const struct pci_devemu pci_de_uart = {
	.pe_emu = "uart",
	.pe_legacy_config = pci_uart_legacy_config,
	.pe_init = pci_uart_init,
	.pe_barwrite = pci_uart_write,
	.pe_barread = pci_uart_read,
	.pe_snapshot = pci_uart_snapshot,
	.pe_restore = pci_uart_restore,
	.pe_teardown = pci_uart_teardown,
};
