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
/*
 * Time for the receive FIFO's character timeout.  now() returns
 * nanoseconds of a monotonic clock; arm(arg, ns) asks for a call of
 * uart_rx_timer() ns from now or later, replacing an earlier request.
 * Both are called with the UART's lock held.  The default (clk NULL) is
 * the host's CLOCK_MONOTONIC and a one-shot mevent timer, created by
 * uart_init() if the event loop is set up (mevent_init()); without one
 * the timeout is noticed at the next register access only.  Tests set a
 * fake clock and call uart_rx_timer() themselves.
 */
struct uart_clock {
	uint64_t (*now)(void *arg);
	void	(*arm)(void *arg, uint64_t ns);
};
void	uart_set_clock(struct uart_softc *sc, const struct uart_clock *clk,
	    void *arg);
/* The time asked for by arm() has come (any thread, UART lock not held). */
void	uart_rx_timer(struct uart_softc *sc);

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

/*
 * Save and restore (snapshot.h): record "uart" version 1 holds the
 * registers, the receive FIFO's contents and the interrupt state, not
 * the backend.  Restore refuses out-of-range values and changes nothing
 * then.  0 or -errno.
 */
#define	UART_SNAP_VERSION	1
struct snap_rec;
int	uart_snapshot(struct uart_softc *sc, struct snap_rec *r);
int	uart_restore(struct uart_softc *sc, struct snap_rec *r);

#endif /* _BHYVE_UART_EMUL_H_ */
