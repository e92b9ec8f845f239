/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A UART core.  Register model from the PC16550D data sheet:
 *
 *   off  DLAB=0 read / write      DLAB=1
 *   0    RBR / THR                DLL
 *   1    IER                      DLM
 *   2    IIR / FCR
 *   3    LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * Transmission is instantaneous: THR is handed to the backend at once,
 * so THRE and TEMT always read 1 and the THRE interrupt is pending again
 * right after a write.  Received bytes wait in a 16-byte FIFO (1 byte
 * when FIFOs are off); when it is full the backend is told to hold off
 * rather than losing data.  Loopback (MCR[4]) feeds THR into the FIFO
 * and the modem-control outputs into the modem-status inputs.
 *
 * `mtx` protects the whole softc; callbacks run with it held.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/uart_emul.h"

/* Registers and bits (PC16550D §8). */
#define	REG_DATA	0
#define	REG_IER		1
#define	REG_IIR		2	/* read */
#define	REG_FCR		2	/* write */
#define	REG_LCR		3
#define	REG_MCR		4
#define	REG_LSR		5
#define	REG_MSR		6
#define	REG_SCR		7

#define	IER_ERBFI	0x01	/* received data available */
#define	IER_ETBEI	0x02	/* THR empty */
#define	IER_ELSI	0x04	/* receiver line status */
#define	IER_EDSSI	0x08	/* modem status */
#define	IER_MASK	0x0f

#define	IIR_NOPEND	0x01
#define	IIR_MLSC	0x00	/* modem status */
#define	IIR_TXRDY	0x02
#define	IIR_RXRDY	0x04
#define	IIR_RLS		0x06	/* receiver line status */
#define	IIR_RXTOUT	0x0c	/* character timeout */
#define	IIR_FIFO_ON	0xc0

#define	FCR_ENABLE	0x01
#define	FCR_RCV_RST	0x02
#define	FCR_XMT_RST	0x04
#define	FCR_TRIGGER(v)	(((v) >> 6) & 3)

#define	LCR_DLAB	0x80

#define	MCR_DTR		0x01
#define	MCR_RTS		0x02
#define	MCR_OUT1	0x04
#define	MCR_OUT2	0x08
#define	MCR_LOOPBACK	0x10
#define	MCR_MASK	0x1f

#define	LSR_DR		0x01
#define	LSR_OE		0x02
#define	LSR_THRE	0x20
#define	LSR_TEMT	0x40

#define	MSR_DCTS	0x01
#define	MSR_DDSR	0x02
#define	MSR_TERI	0x04
#define	MSR_DDCD	0x08
#define	MSR_CTS		0x10
#define	MSR_DSR		0x20
#define	MSR_RI		0x40
#define	MSR_DCD		0x80
#define	MSR_DELTA	0x0f

/* Legacy PC COM ports: the conventional I/O bases and ISA IRQs. */
static const struct {
	int	ioaddr;
	int	irq;
} legacy[] = {
	{ 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

struct uart_softc {
	pthread_mutex_t	mtx;
	uint8_t		ier, lcr, mcr, scr, dll, dlm;
	uint8_t		fcr;		/* FIFO enable and trigger */
	uint8_t		lsr_oe;		/* overrun, to LSR read */
	uint8_t		msr;		/* inputs and delta bits */
	bool		thre_pending;	/* THRE interrupt not acked */
	bool		intr_on;	/* line asserted */
	bool		out2_gate;	/* PC wiring: OUT2 enables the IRQ */
	bool		rx_blocked;	/* backend refused: rx_ready */
	uint8_t		fifo[UART_FIFO_SIZE];
	int		head, count;
	uart_intr_func_t intr_assert;
	uart_intr_func_t intr_deassert;
	void		*intr_arg;
	uart_tx_func_t	tx;
	uart_rxready_func_t rx_ready;
	void		*io_arg;
	void		*backend;	/* uart_backend.c */
};

int
uart_legacy_alloc(int unit, int *ioaddr, int *irq)
{
	if (unit < 0 || unit >= (int)(sizeof(legacy) / sizeof(legacy[0])))
		return (-1);
	*ioaddr = legacy[unit].ioaddr;
	*irq = legacy[unit].irq;
	return (0);
}

static int
fifo_cap(const struct uart_softc *sc)
{
	return ((sc->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1);
}

static void
fifo_reset(struct uart_softc *sc)
{
	sc->head = 0;
	sc->count = 0;
}

static bool
fifo_put(struct uart_softc *sc, uint8_t b)
{
	if (sc->count >= fifo_cap(sc))
		return (false);
	sc->fifo[(sc->head + sc->count) % UART_FIFO_SIZE] = b;
	sc->count++;
	return (true);
}

static uint8_t
fifo_get(struct uart_softc *sc)
{
	uint8_t b;

	if (sc->count == 0)
		return (0);
	b = sc->fifo[sc->head];
	sc->head = (sc->head + 1) % UART_FIFO_SIZE;
	sc->count--;
	return (b);
}

/* RX trigger levels for FCR[7:6] (PC16550D Table V). */
static int
rx_trigger(const struct uart_softc *sc)
{
	static const int level[4] = { 1, 4, 8, 14 };

	if ((sc->fcr & FCR_ENABLE) == 0)
		return (1);
	return (level[FCR_TRIGGER(sc->fcr)]);
}

/* Highest-priority pending interrupt (PC16550D Table IV). */
static uint8_t
intr_reason(const struct uart_softc *sc)
{
	if ((sc->ier & IER_ELSI) && sc->lsr_oe)
		return (IIR_RLS);
	if ((sc->ier & IER_ERBFI) && sc->count > 0) {
		/*
		 * Below the trigger level a real 16550 waits four character
		 * times before the timeout interrupt; no wait here.
		 */
		return (sc->count >= rx_trigger(sc) ? IIR_RXRDY : IIR_RXTOUT);
	}
	if ((sc->ier & IER_ETBEI) && sc->thre_pending)
		return (IIR_TXRDY);
	if ((sc->ier & IER_EDSSI) && (sc->msr & MSR_DELTA))
		return (IIR_MLSC);
	return (IIR_NOPEND);
}

/*
 * Drive the interrupt line from the current state.  On PC COM ports the
 * UART's INTR output reaches the PIC through a buffer enabled by OUT2
 * (MCR bit 3), and loopback forces OUT2 inactive at the pin (PC16550D
 * MCR bit 4), so either gates the line when out2_gate models that.
 */
static void
update_intr(struct uart_softc *sc)
{
	bool on = intr_reason(sc) != IIR_NOPEND;

	if (sc->out2_gate && ((sc->mcr & MCR_OUT2) == 0 ||
	    (sc->mcr & MCR_LOOPBACK) != 0))
		on = false;

	if (on == sc->intr_on)
		return;
	sc->intr_on = on;
	if (on && sc->intr_assert != NULL)
		sc->intr_assert(sc->intr_arg);
	else if (!on && sc->intr_deassert != NULL)
		sc->intr_deassert(sc->intr_arg);
}

/* Modem status inputs: loopback mirrors MCR, else a present peer. */
static uint8_t
msr_inputs(const struct uart_softc *sc)
{
	uint8_t in = 0;

	if ((sc->mcr & MCR_LOOPBACK) == 0)
		return (MSR_DCD | MSR_DSR | MSR_CTS);
	if (sc->mcr & MCR_RTS)
		in |= MSR_CTS;
	if (sc->mcr & MCR_DTR)
		in |= MSR_DSR;
	if (sc->mcr & MCR_OUT1)
		in |= MSR_RI;
	if (sc->mcr & MCR_OUT2)
		in |= MSR_DCD;
	return (in);
}

/* Recompute MSR inputs, latching the delta bits. */
static void
msr_update(struct uart_softc *sc)
{
	uint8_t old = sc->msr & ~MSR_DELTA, now = msr_inputs(sc);
	uint8_t delta = sc->msr & MSR_DELTA;

	if ((old ^ now) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((old ^ now) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old ^ now) & MSR_DCD)
		delta |= MSR_DDCD;
	/* TERI: RI went from on to off. */
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	sc->msr = now | delta;
}

struct uart_softc *
uart_init(uart_intr_func_t intr_assert, uart_intr_func_t intr_deassert,
    void *arg)
{
	struct uart_softc *sc;

	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return (NULL);
	pthread_mutex_init(&sc->mtx, NULL);
	sc->intr_assert = intr_assert;
	sc->intr_deassert = intr_deassert;
	sc->intr_arg = arg;
	/* 115200 baud from the 1.8432 MHz clock: divisor 1. */
	sc->dll = 1;
	/* Ungated by default, as bhyve's; see uart_set_out2_gate(). */
	sc->out2_gate = false;
	sc->msr = msr_inputs(sc);
	return (sc);
}

void
uart_destroy(struct uart_softc *sc)
{
	if (sc == NULL)
		return;
	uart_backend_cleanup(sc);
	pthread_mutex_destroy(&sc->mtx);
	free(sc);
}

void
uart_set_out2_gate(struct uart_softc *sc, bool gate)
{
	pthread_mutex_lock(&sc->mtx);
	sc->out2_gate = gate;
	update_intr(sc);
	pthread_mutex_unlock(&sc->mtx);
}

void
uart_set_io(struct uart_softc *sc, uart_tx_func_t tx,
    uart_rxready_func_t rx_ready, void *arg)
{
	pthread_mutex_lock(&sc->mtx);
	sc->tx = tx;
	sc->rx_ready = rx_ready;
	sc->io_arg = arg;
	pthread_mutex_unlock(&sc->mtx);
}

void *
uart_backend_get(struct uart_softc *sc)
{
	return (sc->backend);
}

void
uart_backend_put(struct uart_softc *sc, void *b)
{
	sc->backend = b;
}

int
uart_rx_put(struct uart_softc *sc, const uint8_t *buf, int len)
{
	int n = 0;

	pthread_mutex_lock(&sc->mtx);
	/* In loopback the receiver is cut off from the line. */
	if ((sc->mcr & MCR_LOOPBACK) == 0) {
		while (n < len && fifo_put(sc, buf[n]))
			n++;
	}
	if (n < len)
		sc->rx_blocked = true;
	update_intr(sc);
	pthread_mutex_unlock(&sc->mtx);
	return (n);
}

int
uart_rx_room(struct uart_softc *sc)
{
	int room;

	pthread_mutex_lock(&sc->mtx);
	room = fifo_cap(sc) - sc->count;
	if (room <= 0) {
		room = 0;
		sc->rx_blocked = true;
	}
	pthread_mutex_unlock(&sc->mtx);
	return (room);
}

static void
rx_drained(struct uart_softc *sc)
{
	if (sc->rx_blocked && sc->count < fifo_cap(sc)) {
		sc->rx_blocked = false;
		if (sc->rx_ready != NULL)
			sc->rx_ready(sc->io_arg);
	}
}

static void
write_thr(struct uart_softc *sc, uint8_t value)
{
	if (sc->mcr & MCR_LOOPBACK) {
		/*
		 * Overrun (PC16550D LSR bit 1): a full FIFO keeps its bytes
		 * and loses the new one; without FIFOs the new byte
		 * replaces the unread one in RBR.
		 */
		if (!fifo_put(sc, value)) {
			sc->lsr_oe = 1;
			if ((sc->fcr & FCR_ENABLE) == 0) {
				fifo_reset(sc);
				(void)fifo_put(sc, value);
			}
		}
	} else if (sc->tx != NULL) {
		sc->tx(sc->io_arg, value);
	}
	/* Sent at once: THR is empty again. */
	sc->thre_pending = true;
}

static void
write_fcr(struct uart_softc *sc, uint8_t value)
{
	/* Toggling FIFO enable clears both FIFOs (PC16550D FCR[0]). */
	if ((value ^ sc->fcr) & FCR_ENABLE)
		fifo_reset(sc);
	if (value & FCR_RCV_RST)
		fifo_reset(sc);
	sc->fcr = value & (FCR_ENABLE | 0xc0);
	if ((sc->fcr & FCR_ENABLE) == 0)
		sc->fcr = 0;
	rx_drained(sc);
}

void
uart_write(struct uart_softc *sc, int offset, uint8_t value)
{
	pthread_mutex_lock(&sc->mtx);
	if ((sc->lcr & LCR_DLAB) && (offset == REG_DATA || offset == REG_IER)) {
		if (offset == REG_DATA)
			sc->dll = value;
		else
			sc->dlm = value;
		goto done;
	}
	switch (offset) {
	case REG_DATA:
		write_thr(sc, value);
		break;
	case REG_IER:
		/* Enabling ETBEI with THR empty raises THRE at once. */
		if ((value & IER_ETBEI) && !(sc->ier & IER_ETBEI))
			sc->thre_pending = true;
		sc->ier = value & IER_MASK;
		break;
	case REG_FCR:
		write_fcr(sc, value);
		break;
	case REG_LCR:
		sc->lcr = value;
		break;
	case REG_MCR:
		sc->mcr = value & MCR_MASK;
		msr_update(sc);
		break;
	case REG_SCR:
		sc->scr = value;
		break;
	default:
		/* LSR and MSR writes: factory test, ignored. */
		break;
	}
done:
	update_intr(sc);
	pthread_mutex_unlock(&sc->mtx);
}

uint8_t
uart_read(struct uart_softc *sc, int offset)
{
	uint8_t v = 0xff, reason;

	pthread_mutex_lock(&sc->mtx);
	if ((sc->lcr & LCR_DLAB) && (offset == REG_DATA || offset == REG_IER)) {
		v = offset == REG_DATA ? sc->dll : sc->dlm;
		goto done;
	}
	switch (offset) {
	case REG_DATA:
		v = fifo_get(sc);
		rx_drained(sc);
		break;
	case REG_IER:
		v = sc->ier;
		break;
	case REG_IIR:
		reason = intr_reason(sc);
		/* Reading IIR acknowledges a THRE interrupt. */
		if (reason == IIR_TXRDY)
			sc->thre_pending = false;
		v = reason | ((sc->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
		break;
	case REG_LCR:
		v = sc->lcr;
		break;
	case REG_MCR:
		v = sc->mcr;
		break;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT;
		if (sc->count > 0)
			v |= LSR_DR;
		if (sc->lsr_oe)
			v |= LSR_OE;
		sc->lsr_oe = 0;
		break;
	case REG_MSR:
		msr_update(sc);
		v = sc->msr;
		sc->msr &= ~MSR_DELTA;
		break;
	case REG_SCR:
		v = sc->scr;
		break;
	default:
		break;
	}
done:
	update_intr(sc);
	pthread_mutex_unlock(&sc->mtx);
	return (v);
}
