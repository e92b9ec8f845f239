/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A UART core (register model after the National/TI PC16550D data
 * sheet), as FreeBSD's usr.sbin/bhyve/uart_emul.h.  The core sees only
 * register offsets; interrupts leave through the assert/deassert
 * callbacks (a level: assert when an interrupt becomes pending, deassert
 * when none is), and characters through a backend (uart_backend.c).
 */
#ifndef _BHYVE_UART_EMUL_H_
#define _BHYVE_UART_EMUL_H_

#include <stdbool.h>
#include <stdint.h>

#define	UART_IO_BAR_SIZE	8
#define	UART_FIFO_SIZE		16

struct uart_softc;

typedef void (*uart_intr_func_t)(void *arg);

/* Legacy COM port resources: unit 0..3 is COM1..COM4.  0 or -1. */
int	uart_legacy_alloc(int unit, int *ioaddr, int *irq);

struct uart_softc *uart_init(uart_intr_func_t intr_assert,
	    uart_intr_func_t intr_deassert, void *arg);
void	uart_destroy(struct uart_softc *sc);
/*
 * PC wiring: the interrupt line is enabled only while MCR OUT2 is set
 * and loopback is off.  Off by default, as in bhyve: with it on, Linux
 * 6.1's 8250 driver stalls at reboot/poweroff (its last output waits
 * for a THRE interrupt that the gate holds back), so COM ports behave
 * like bhyve's rather than like a PC's here.
 */
void	uart_set_out2_gate(struct uart_softc *sc, bool gate);
uint8_t	uart_read(struct uart_softc *sc, int offset);
void	uart_write(struct uart_softc *sc, int offset, uint8_t value);

/*
 * Backend side.  tx() gets every transmitted byte; rx_ready() is called
 * when the receive FIFO has room again after uart_rx_put() refused
 * bytes.  Both are called with the UART's lock held: they must not call
 * back into the UART.
 */
typedef void (*uart_tx_func_t)(void *arg, uint8_t byte);
typedef void (*uart_rxready_func_t)(void *arg);
void	uart_set_io(struct uart_softc *sc, uart_tx_func_t tx,
	    uart_rxready_func_t rx_ready, void *arg);
/* Queue received bytes; returns how many fit in the FIFO. */
int	uart_rx_put(struct uart_softc *sc, const uint8_t *buf, int len);
/*
 * Room in the receive FIFO.  When there is none, rx_ready() follows once
 * the guest has read.
 */
int	uart_rx_room(struct uart_softc *sc);
/* The attached backend's state (uart_backend.c), NULL if none. */
void	*uart_backend_get(struct uart_softc *sc);
void	uart_backend_put(struct uart_softc *sc, void *b);

/*
 * Attach a backend by name (uart_backend.c): "stdio", a host terminal
 * path ("/dev/pts/3"), "tcp=IP:PORT" ("[::1]:PORT"), "unix=PATH"; NULL
 * means none (output dropped).  0, or -1 with a message printed.
 */
int	uart_set_backend(struct uart_softc *sc, const char *device);
/* Restore the terminal and stop the backend's input. */
void	uart_backend_cleanup(struct uart_softc *sc);

#endif /* _BHYVE_UART_EMUL_H_ */
