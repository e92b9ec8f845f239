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
 * In FIFO mode, characters below the trigger level raise the character
 * timeout (IIR 0xC) only once the FIFO has been idle, no character in
 * and no read, for four character times at the programmed baud rate and
 * format.  A one-shot mevent timer marks the deadline, so the interrupt
 * comes without a register access; the deadline is also checked on
 * every access.  Time comes from a struct uart_clock (tests use a fake).
 *
 * `mtx` protects the whole softc; callbacks run with it held, the timer
 * callback takes it like a register access.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bhyve/mevent.h"
#include "bhyve/snapshot.h"
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

#define	LCR_WLS		0x03	/* word length - 5 */
#define	LCR_STB		0x04	/* 2 stop bits (1.5 with 5-bit words) */
#define	LCR_PEN		0x08	/* parity bit */
#define	LCR_DLAB	0x80

/* The PC's UART clock: bits per second = clock / 16 / divisor. */
#define	UART_CLOCK_HZ	1843200u
#define	NEVER		UINT64_MAX

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
	/* Receive character timeout; see rx_timeout_ns(). */
	const struct uart_clock *clk;
	void		*clk_arg;
	uint64_t	rx_deadline;	/* clock ns; NEVER: not counting */
	uint64_t	timer_at;	/* asked of clk->arm; NEVER: no */
	bool		rx_timeout;	/* character timeout pending */
	struct mevent	*timer;		/* host clock's, NULL: no loop */
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
	/* Nothing waits: no timeout pending or counting. */
	sc->rx_timeout = false;
	sc->rx_deadline = NEVER;
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

/*
 * Four character times in ns, the receive FIFO's timeout (PC16550D FIFO
 * interrupt mode): a character is a start bit, 5-8 data bits, a parity
 * bit if enabled and 1 or 2 stop bits (1.5 with 5-bit words), sent at
 * clock / 16 / divisor bits per second.  A divisor of 0 is undefined on
 * the chip; here it divides by 65536, as a 16-bit down counter reloaded
 * with 0 would, so the timeout is the longest there is.  115200 baud
 * 8N1: 347 us; divisor 0xFFFF 8N1: 22.8 s.
 */
static uint64_t
rx_timeout_ns(const struct uart_softc *sc)
{
	uint64_t div = (uint64_t)sc->dlm << 8 | sc->dll;
	unsigned data = 5 + (sc->lcr & LCR_WLS), halfbits;

	if (div == 0)
		div = 65536;
	halfbits = 2 * (1 + data + ((sc->lcr & LCR_PEN) ? 1 : 0));
	if ((sc->lcr & LCR_STB) == 0)
		halfbits += 2;
	else
		halfbits += data == 5 ? 3 : 4;
	/* 4 * halfbits / 2 bits, each 16 * div clocks; rounded up. */
	return ((4ull * halfbits * 16 * div * 1000000000ull +
	    2 * UART_CLOCK_HZ - 1) / (2 * UART_CLOCK_HZ));
}

/* Ask for uart_rx_timer() at the deadline, unless asked for earlier. */
static void
rx_timer_schedule(struct uart_softc *sc, uint64_t now)
{
	if (sc->rx_deadline == NEVER || sc->timer_at <= sc->rx_deadline)
		return;
	sc->timer_at = sc->rx_deadline;
	sc->clk->arm(sc->clk_arg, sc->rx_deadline > now ?
	    sc->rx_deadline - now : 0);
}

/*
 * The receive FIFO saw activity (a character in, or a read): the
 * timeout counts afresh while characters wait, in FIFO mode only.
 */
static void
rx_timeout_restart(struct uart_softc *sc)
{
	uint64_t now;

	if ((sc->fcr & FCR_ENABLE) == 0 || sc->count == 0) {
		sc->rx_deadline = NEVER;
		return;
	}
	now = sc->clk->now(sc->clk_arg);
	sc->rx_deadline = now + rx_timeout_ns(sc);
	rx_timer_schedule(sc, now);
}

/* A character entered the FIFO; a pending timeout stays until a read. */
static void
rx_char_in(struct uart_softc *sc)
{
	if (!sc->rx_timeout)
		rx_timeout_restart(sc);
}

/* Latch the timeout when its deadline has passed, else keep waiting. */
static void
rx_timeout_poll(struct uart_softc *sc)
{
	uint64_t now;

	if (sc->rx_deadline == NEVER)
		return;
	now = sc->clk->now(sc->clk_arg);
	if (now < sc->rx_deadline) {
		rx_timer_schedule(sc, now);
		return;
	}
	sc->rx_timeout = true;
	sc->rx_deadline = NEVER;
}

/* Highest-priority pending interrupt (PC16550D Table IV). */
static uint8_t
intr_reason(const struct uart_softc *sc)
{
	if ((sc->ier & IER_ELSI) && sc->lsr_oe)
		return (IIR_RLS);
	if ((sc->ier & IER_ERBFI) && sc->count > 0) {
		/* The timeout shows as IIR bits 3 and 2 until a read. */
		if (sc->rx_timeout)
			return (IIR_RXTOUT);
		if (sc->count >= rx_trigger(sc))
			return (IIR_RXRDY);
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

/* The default clock: the host's monotonic time and an mevent timer. */
static uint64_t
host_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static void
host_arm(void *arg, uint64_t ns)
{
	struct uart_softc *sc = arg;

	if (sc->timer != NULL)
		(void)mevent_timer_start(sc->timer, ns);
}

static void
host_timer_cb(int fd, enum ev_type type, void *param)
{
	(void)fd;
	(void)type;
	uart_rx_timer(param);
}

static const struct uart_clock host_clock = {
	.now = host_now,
	.arm = host_arm,
};

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
	sc->clk = &host_clock;
	sc->clk_arg = sc;
	sc->rx_deadline = sc->timer_at = NEVER;
	/* None without an event loop: the timeout is then seen on access. */
	sc->timer = mevent_add_oneshot(host_timer_cb, sc);
	return (sc);
}

void
uart_destroy(struct uart_softc *sc)
{
	if (sc == NULL)
		return;
	/* Waits for a timer callback under way: it uses sc. */
	if (sc->timer != NULL)
		(void)mevent_delete_wait(sc->timer);
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
uart_set_clock(struct uart_softc *sc, const struct uart_clock *clk,
    void *arg)
{
	pthread_mutex_lock(&sc->mtx);
	sc->clk = clk != NULL ? clk : &host_clock;
	sc->clk_arg = clk != NULL ? arg : sc;
	/* Deadlines of the old clock mean nothing to the new one. */
	sc->timer_at = NEVER;
	if (!sc->rx_timeout)
		rx_timeout_restart(sc);
	pthread_mutex_unlock(&sc->mtx);
}

void
uart_rx_timer(struct uart_softc *sc)
{
	pthread_mutex_lock(&sc->mtx);
	sc->timer_at = NEVER;
	rx_timeout_poll(sc);
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
	/* A deadline that passed before these bytes came still counts. */
	rx_timeout_poll(sc);
	/* In loopback the receiver is cut off from the line. */
	if ((sc->mcr & MCR_LOOPBACK) == 0) {
		while (n < len && fifo_put(sc, buf[n]))
			n++;
	}
	if (n > 0)
		rx_char_in(sc);
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
		} else {
			rx_char_in(sc);
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
	rx_timeout_poll(sc);
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
	rx_timeout_poll(sc);
	if ((sc->lcr & LCR_DLAB) && (offset == REG_DATA || offset == REG_IER)) {
		v = offset == REG_DATA ? sc->dll : sc->dlm;
		goto done;
	}
	switch (offset) {
	case REG_DATA:
		v = fifo_get(sc);
		/* A read clears the timeout and starts its count again. */
		sc->rx_timeout = false;
		rx_timeout_restart(sc);
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

/*
 * ---- Save and restore (snapshot.h) ----
 *
 * Record "uart", version UART_SNAP_VERSION: the registers, the receive
 * FIFO's bytes in arrival order, pending-interrupt state, the character
 * timeout (latched, or the ns left of its count: all-ones when not
 * counting, relative so it restores under another clock) and the level
 * of the interrupt line as the UART last drove it.  The backend and the
 * wiring (callbacks, OUT2 gate, clock) belong to the owner, not the
 * record.
 */
struct uart_snap_reg {
	const char	*name;
	size_t		off;		/* in struct uart_softc, a uint8_t */
	uint8_t		valid;		/* bits that may be set */
};

static const struct uart_snap_reg uart_snap_regs[] = {
	{ "ier", offsetof(struct uart_softc, ier), IER_MASK },
	{ "lcr", offsetof(struct uart_softc, lcr), 0xff },
	{ "mcr", offsetof(struct uart_softc, mcr), MCR_MASK },
	{ "scr", offsetof(struct uart_softc, scr), 0xff },
	{ "dll", offsetof(struct uart_softc, dll), 0xff },
	{ "dlm", offsetof(struct uart_softc, dlm), 0xff },
	{ "fcr", offsetof(struct uart_softc, fcr), FCR_ENABLE | 0xc0 },
	{ "lsr_oe", offsetof(struct uart_softc, lsr_oe), 0x01 },
	{ "msr", offsetof(struct uart_softc, msr), 0xff },
};

#define	UART_SNAP_NREGS	(sizeof(uart_snap_regs) / sizeof(uart_snap_regs[0]))

static uint8_t *
uart_snap_reg(struct uart_softc *sc, size_t i)
{
	return ((uint8_t *)sc + uart_snap_regs[i].off);
}

int
uart_snapshot(struct uart_softc *sc, struct snap_rec *r)
{
	uint8_t fifo[UART_FIFO_SIZE];
	uint64_t now, wait = NEVER;

	pthread_mutex_lock(&sc->mtx);
	if (sc->rx_deadline != NEVER) {
		now = sc->clk->now(sc->clk_arg);
		wait = sc->rx_deadline > now ? sc->rx_deadline - now : 0;
	}
	snap_rec_set_version(r, UART_SNAP_VERSION);
	for (size_t i = 0; i < UART_SNAP_NREGS; i++)
		(void)snap_put_u64(r, uart_snap_regs[i].name,
		    *uart_snap_reg(sc, i));
	for (int i = 0; i < sc->count; i++)
		fifo[i] = sc->fifo[(sc->head + i) % UART_FIFO_SIZE];
	(void)snap_put_blob(r, "rx_fifo", fifo, (size_t)sc->count);
	(void)snap_put_u64(r, "thre_pending", sc->thre_pending);
	(void)snap_put_u64(r, "intr_on", sc->intr_on);
	(void)snap_put_u64(r, "rx_timeout", sc->rx_timeout);
	(void)snap_put_u64(r, "rx_wait_ns", wait);
	pthread_mutex_unlock(&sc->mtx);
	return (snap_rec_status(r));
}

/* Everything read and checked, nothing applied yet. */
struct uart_snap_state {
	uint8_t		reg[UART_SNAP_NREGS];
	const uint8_t	*fifo;
	size_t		count;
	bool		thre_pending, intr_on, rx_timeout;
	uint64_t	rx_wait;
};

/*
 * The timeout counts, or is latched, only while characters wait in FIFO
 * mode, never both; a count lasts at most the longest timeout there is
 * (divisor 0, 8 data bits, parity, 2 stop bits).
 */
static int
uart_snap_check_timeout(struct snap_rec *r, const struct uart_snap_state *st,
    struct uart_softc *tmp)
{
	bool waiting = (tmp->fcr & FCR_ENABLE) != 0 && st->count > 0;

	if ((st->rx_timeout || st->rx_wait != NEVER) && !waiting)
		return (snap_fail(r, -EINVAL, "character timeout without "
		    "characters waiting in FIFO mode"));
	if (st->rx_timeout && st->rx_wait != NEVER)
		return (snap_fail(r, -EINVAL, "character timeout both "
		    "latched and counting"));
	tmp->dll = tmp->dlm = 0;
	tmp->lcr = LCR_WLS | LCR_STB | LCR_PEN;
	if (st->rx_wait != NEVER && st->rx_wait > rx_timeout_ns(tmp))
		return (snap_fail(r, -ERANGE, "rx_wait_ns %ju longer than any "
		    "character timeout", (uintmax_t)st->rx_wait));
	return (0);
}

static int
uart_snap_check(struct snap_rec *r, struct uart_snap_state *st)
{
	struct uart_softc tmp;
	uint64_t v = 0;
	int error;

	error = snap_check_version(r, 1, UART_SNAP_VERSION);
	for (size_t i = 0; error == 0 && i < UART_SNAP_NREGS; i++) {
		error = snap_get_bits(r, uart_snap_regs[i].name,
		    uart_snap_regs[i].valid, &v);
		st->reg[i] = (uint8_t)v;
	}
	if (error == 0)
		error = snap_get_bool(r, "thre_pending", &st->thre_pending);
	if (error == 0)
		error = snap_get_bool(r, "intr_on", &st->intr_on);
	if (error == 0)
		error = snap_get_blob(r, "rx_fifo", &st->fifo, &st->count);
	if (error == 0)
		error = snap_get_bool(r, "rx_timeout", &st->rx_timeout);
	if (error == 0)
		error = snap_get_u64(r, "rx_wait_ns", &st->rx_wait);
	if (error != 0)
		return (error);
	/* Cross-checks on a scratch copy: FIFO size, MSR inputs. */
	memset(&tmp, 0, sizeof(tmp));
	for (size_t i = 0; i < UART_SNAP_NREGS; i++)
		*uart_snap_reg(&tmp, i) = st->reg[i];
	if ((tmp.fcr & FCR_ENABLE) == 0 && tmp.fcr != 0)
		return (snap_fail(r, -EINVAL, "fcr = %#x: trigger bits "
		    "without FIFO enable", tmp.fcr));
	if (st->count > (size_t)fifo_cap(&tmp))
		return (snap_fail(r, -EINVAL, "rx_fifo holds %zu bytes, the "
		    "FIFO %d", st->count, fifo_cap(&tmp)));
	if ((tmp.msr & ~MSR_DELTA) != msr_inputs(&tmp))
		return (snap_fail(r, -EINVAL, "msr = %#x disagrees with mcr = "
		    "%#x", tmp.msr, tmp.mcr));
	return (uart_snap_check_timeout(r, st, &tmp));
}

int
uart_restore(struct uart_softc *sc, struct snap_rec *r)
{
	struct uart_snap_state st;
	uint64_t now;
	int error;

	error = uart_snap_check(r, &st);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&sc->mtx);
	for (size_t i = 0; i < UART_SNAP_NREGS; i++)
		*uart_snap_reg(sc, i) = st.reg[i];
	fifo_reset(sc);
	for (size_t i = 0; i < st.count; i++)
		(void)fifo_put(sc, st.fifo[i]);
	/* The timeout goes on where it was, on this UART's clock. */
	sc->rx_timeout = st.rx_timeout;
	if (st.rx_wait != NEVER) {
		now = sc->clk->now(sc->clk_arg);
		sc->rx_deadline = st.rx_wait > NEVER - 1 - now ? NEVER - 1 :
		    now + st.rx_wait;
		sc->timer_at = NEVER;
		rx_timer_schedule(sc, now);
	}
	sc->thre_pending = st.thre_pending;
	/*
	 * The line as it was: no callback, the interrupt controller's own
	 * record has the level (snapshot.h).
	 */
	sc->intr_on = st.intr_on;
	/* A backend waiting for room hears of it now, not at a read. */
	rx_drained(sc);
	pthread_mutex_unlock(&sc->mtx);
	return (0);
}
