/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A register model: THR/RBR, IER/IIR, FIFO, DLAB, LSR, MSR, loopback,
 * and the receive FIFO's character timeout on a fake clock, then once on
 * the host clock with the event loop's timer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bhyve/mevent.h"
#include "bhyve/snapshot.h"
#include "bhyve/uart_emul.h"

struct env {
	struct uart_softc *sc;
	int		asserts, deasserts, rx_ready;
	uint8_t		tx[64];
	int		ntx;
	uint64_t	now;		/* the fake clock, ns */
	uint64_t	armed_at;	/* last timer request, absolute */
	int		arms;
};

static uint64_t
f_now(void *arg)
{
	return (((struct env *)arg)->now);
}

static void
f_arm(void *arg, uint64_t ns)
{
	struct env *e = arg;

	e->armed_at = e->now + ns;
	e->arms++;
}

static const struct uart_clock fake_clock = { .now = f_now, .arm = f_arm };

static void
e_assert(void *arg)
{
	((struct env *)arg)->asserts++;
}

static void
e_deassert(void *arg)
{
	((struct env *)arg)->deasserts++;
}

static void
e_tx(void *arg, uint8_t b)
{
	struct env *e = arg;

	if (e->ntx < (int)sizeof(e->tx))
		e->tx[e->ntx++] = b;
}

static void
e_rx_ready(void *arg)
{
	((struct env *)arg)->rx_ready++;
}

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->sc = uart_init(e_assert, e_deassert, e);
	assert_non_null(e->sc);
	uart_set_io(e->sc, e_tx, e_rx_ready, e);
	e->now = 1000000;
	uart_set_clock(e->sc, &fake_clock, e);
	/* Ungated by default; PC OUT2 wiring has its own test. */
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	uart_destroy(e->sc);
	test_free(e);
	return (0);
}

static void
test_legacy(void **state)
{
	int io, irq;

	(void)state;
	assert_int_equal(uart_legacy_alloc(0, &io, &irq), 0);
	assert_int_equal(io, 0x3f8);
	assert_int_equal(irq, 4);
	assert_int_equal(uart_legacy_alloc(1, &io, &irq), 0);
	assert_int_equal(io, 0x2f8);
	assert_int_equal(irq, 3);
	assert_int_equal(uart_legacy_alloc(2, &io, &irq), 0);
	assert_int_equal(io, 0x3e8);
	assert_int_equal(irq, 4);
	assert_int_equal(uart_legacy_alloc(3, &io, &irq), 0);
	assert_int_equal(io, 0x2e8);
	assert_int_equal(irq, 3);
	assert_int_equal(uart_legacy_alloc(4, &io, &irq), -1);
	assert_int_equal(uart_legacy_alloc(-1, &io, &irq), -1);
}

static void
test_reset_state(void **state)
{
	struct env *e = *state;

	assert_int_equal(uart_read(e->sc, 5), 0x60);	/* THRE | TEMT */
	assert_int_equal(uart_read(e->sc, 2), 0x01);	/* no interrupt */
	assert_int_equal(uart_read(e->sc, 1), 0);
	assert_int_equal(uart_read(e->sc, 3), 0);
	assert_int_equal(uart_read(e->sc, 0), 0);	/* empty RBR */
	assert_int_equal(e->asserts, 0);
}

static void
test_tx(void **state)
{
	struct env *e = *state;

	uart_write(e->sc, 0, 'h');
	uart_write(e->sc, 0, 'i');
	assert_int_equal(e->ntx, 2);
	assert_memory_equal(e->tx, "hi", 2);
	assert_int_equal(uart_read(e->sc, 5) & 0x60, 0x60);
}

static void
test_dlab(void **state)
{
	struct env *e = *state;

	uart_write(e->sc, 3, 0x83);		/* DLAB, 8N1 */
	uart_write(e->sc, 0, 0x0c);
	uart_write(e->sc, 1, 0x01);
	assert_int_equal(uart_read(e->sc, 0), 0x0c);
	assert_int_equal(uart_read(e->sc, 1), 0x01);
	assert_int_equal(e->ntx, 0);		/* not transmitted */
	uart_write(e->sc, 3, 0x03);
	assert_int_equal(uart_read(e->sc, 3), 0x03);
	assert_int_equal(uart_read(e->sc, 1), 0);	/* IER again */
	uart_write(e->sc, 0, 'x');
	assert_int_equal(e->ntx, 1);
}

static void
test_scratch(void **state)
{
	struct env *e = *state;

	uart_write(e->sc, 7, 0xa5);
	assert_int_equal(uart_read(e->sc, 7), 0xa5);
}

static void
test_thre_interrupt(void **state)
{
	struct env *e = *state;

	/* Enabling ETBEI with THR empty interrupts at once. */
	uart_write(e->sc, 1, 0x02);
	assert_int_equal(e->asserts, 1);
	assert_int_equal(uart_read(e->sc, 2), 0x02);
	/* Reading IIR acknowledged it. */
	assert_int_equal(e->deasserts, 1);
	assert_int_equal(uart_read(e->sc, 2), 0x01);
	/* Each transmitted byte empties THR again. */
	uart_write(e->sc, 0, 'a');
	assert_int_equal(e->asserts, 2);
	assert_int_equal(uart_read(e->sc, 2), 0x02);
	uart_write(e->sc, 1, 0);
	assert_int_equal(uart_read(e->sc, 2), 0x01);
}

static void
test_rx_nofifo(void **state)
{
	struct env *e = *state;
	const uint8_t in[3] = { 'a', 'b', 'c' };

	uart_write(e->sc, 1, 0x01);		/* ERBFI */
	/* Without FIFOs the holding register takes one byte. */
	assert_int_equal(uart_rx_put(e->sc, in, 3), 1);
	assert_int_equal(e->asserts, 1);
	assert_int_equal(uart_read(e->sc, 2), 0x04);
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0x01);
	assert_int_equal(uart_read(e->sc, 0), 'a');
	assert_int_equal(e->rx_ready, 1);	/* room again */
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0);
	assert_int_equal(uart_read(e->sc, 2), 0x01);
	assert_int_equal(e->deasserts, 1);
}

static void
test_fifo(void **state)
{
	struct env *e = *state;
	uint8_t in[20];

	for (int i = 0; i < 20; i++)
		in[i] = (uint8_t)('A' + i);
	uart_write(e->sc, 2, 0x07 | 0x40);	/* enable, clear, trigger 4 */
	assert_int_equal(uart_read(e->sc, 2) & 0xc0, 0xc0);
	uart_write(e->sc, 1, 0x01);
	assert_int_equal(uart_rx_put(e->sc, in, 2), 2);
	/* Below the trigger level: nothing until the character timeout. */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x01);
	e->now += 1000000;
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x0c);
	assert_int_equal(uart_rx_put(e->sc, in + 2, 18), 14);
	assert_int_equal(uart_rx_room(e->sc), 0);
	/* The timeout stays pending until a read, then the level counts. */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x0c);
	assert_int_equal(uart_read(e->sc, 0), 'A');
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x04);
	for (int i = 1; i < 16; i++)
		assert_int_equal(uart_read(e->sc, 0), 'A' + i);
	assert_int_equal(e->rx_ready, 1);
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0);
	/* FCR receive reset empties the FIFO. */
	assert_int_equal(uart_rx_put(e->sc, in, 3), 3);
	uart_write(e->sc, 2, 0x03);
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0);
	/* Turning FIFOs off reports it in IIR. */
	uart_write(e->sc, 2, 0);
	assert_int_equal(uart_read(e->sc, 2) & 0xc0, 0);
}

static void
test_loopback(void **state)
{
	struct env *e = *state;
	uint8_t msr;

	uart_write(e->sc, 4, 0x10 | 0x02 | 0x01);	/* LOOP, RTS, DTR */
	msr = uart_read(e->sc, 6);
	assert_int_equal(msr & 0xf0, 0x30);		/* CTS, DSR */
	assert_int_equal(uart_read(e->sc, 6) & 0x0f, 0);	/* deltas read */
	uart_write(e->sc, 0, 'z');
	assert_int_equal(e->ntx, 0);			/* not on the line */
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0x01);
	assert_int_equal(uart_read(e->sc, 0), 'z');
	/* Overrun: a second byte into the full holding register. */
	uart_write(e->sc, 0, '1');
	uart_write(e->sc, 0, '2');
	assert_int_equal(uart_read(e->sc, 5) & 0x02, 0x02);
	assert_int_equal(uart_read(e->sc, 5) & 0x02, 0);	/* cleared */
	/* OUT2 drives DCD; dropping RTS sets DCTS. */
	uart_write(e->sc, 4, 0x10 | 0x08);
	msr = uart_read(e->sc, 6);
	assert_int_equal(msr & 0x80, 0x80);
	assert_int_equal(msr & 0x01, 0x01);
	uart_write(e->sc, 4, 0);
	assert_int_equal(uart_read(e->sc, 6) & 0xb0, 0xb0);
}

static void
test_modem_status_intr(void **state)
{
	struct env *e = *state;

	uart_write(e->sc, 1, 0x08);		/* EDSSI */
	uart_write(e->sc, 4, 0x10);		/* loopback: CTS/DSR/DCD drop */
	assert_int_equal(uart_read(e->sc, 2), 0x00);	/* MSR reason */
	(void)uart_read(e->sc, 6);
	assert_int_equal(uart_read(e->sc, 2), 0x01);
}

/* PC wiring: the line reaches the PIC only with OUT2 set, not in LOOP. */
static void
test_out2_gate(void **state)
{
	struct env *e = *state;

	uart_set_out2_gate(e->sc, true);
	uart_write(e->sc, 1, 0x02);		/* ETBEI: THRE pending */
	assert_int_equal(e->asserts, 0);
	uart_write(e->sc, 4, 0x08);		/* OUT2 */
	assert_int_equal(e->asserts, 1);
	uart_write(e->sc, 4, 0x08 | 0x10);	/* loopback: OUT2 at pin off */
	assert_int_equal(e->deasserts, 1);
	uart_write(e->sc, 4, 0x08);
	assert_int_equal(e->asserts, 2);
	/* IIR still reports the reason while the line is gated. */
	uart_write(e->sc, 4, 0);
	assert_int_equal(uart_read(e->sc, 2), 0x02);
}

/* Line status > received data > THR empty > modem status (Table IV). */
static void
test_priority(void **state)
{
	struct env *e = *state;
	uint8_t in[17] = { 0 };

	uart_write(e->sc, 2, 0x07);		/* FIFOs on, trigger 1 */
	uart_write(e->sc, 4, 0x10);		/* loopback: MSR deltas */
	uart_write(e->sc, 1, 0x0f);		/* every source enabled */
	for (int i = 0; i < 17; i++)
		uart_write(e->sc, 0, in[i]);	/* 16 in the FIFO, 1 lost */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x06);	/* RLS */
	assert_int_equal(uart_read(e->sc, 5) & 0x03, 0x03);	/* OE, DR */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x04);	/* data */
	for (int i = 0; i < 16; i++)
		(void)uart_read(e->sc, 0);
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x02);	/* THRE */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x00);	/* MSR */
	(void)uart_read(e->sc, 6);
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x01);
	/* LSR: THRE and TEMT always, no PE/FE/BI/FIFO error. */
	assert_int_equal(uart_read(e->sc, 5), 0x60);
}

/* FIFO trigger levels 1/4/8/14 decide data-available vs timeout. */
static void
test_trigger_levels(void **state)
{
	struct env *e = *state;
	static const int level[4] = { 1, 4, 8, 14 };
	uint8_t in[16] = { 0 };

	uart_write(e->sc, 1, 0x01);
	for (int t = 0; t < 4; t++) {
		uart_write(e->sc, 2, (uint8_t)(0x03 | t << 6));
		if (level[t] > 1) {
			assert_int_equal(uart_rx_put(e->sc, in,
			    level[t] - 1), level[t] - 1);
			assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x01);
			assert_int_equal(uart_rx_put(e->sc, in, 1), 1);
		} else {
			assert_int_equal(uart_rx_put(e->sc, in, 1), 1);
		}
		assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x04);
	}
}

/* 4 character times at 115200 baud 8N1: 4 * 10 / 115200 s, rounded up. */
#define	T_115200	347223

/* 8N1, FIFOs on, trigger 8, receive interrupt; `n' bytes arrive now. */
static void
rx_setup(struct env *e, int n)
{
	uint8_t in[16] = { 'a', 'b', 'c', 'd' };

	uart_write(e->sc, 3, 0x03);
	uart_write(e->sc, 2, 0x87);
	uart_write(e->sc, 1, 0x01);
	assert_int_equal(uart_rx_put(e->sc, in, n), n);
}

/* Four idle character times below the trigger level: IIR 0xC. */
static void
test_rx_timeout(void **state)
{
	struct env *e = *state;
	uint64_t t0 = e->now;

	rx_setup(e, 2);
	assert_int_equal(e->arms, 1);
	assert_true(e->armed_at == t0 + T_115200);
	/* One ns early: the timer finds nothing to do and waits on. */
	e->now = t0 + T_115200 - 1;
	uart_rx_timer(e->sc);
	assert_int_equal(e->asserts, 0);
	assert_int_equal(e->arms, 2);
	assert_true(e->armed_at == t0 + T_115200);
	/* On time: the line goes up without any register access. */
	e->now = t0 + T_115200;
	uart_rx_timer(e->sc);
	assert_int_equal(e->asserts, 1);
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	/* IIR and LSR reads and new bytes leave it pending. */
	assert_int_equal(uart_read(e->sc, 5) & 0x01, 0x01);
	assert_int_equal(uart_rx_put(e->sc, (const uint8_t *)"c", 1), 1);
	e->now += 10 * T_115200;
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	/* A read of RBR clears it and counts again for the rest. */
	assert_int_equal(uart_read(e->sc, 0), 'a');
	assert_int_equal(e->deasserts, 1);
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	e->now += T_115200;
	uart_rx_timer(e->sc);
	assert_int_equal(e->asserts, 2);
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	assert_int_equal(uart_read(e->sc, 0), 'b');
	assert_int_equal(uart_read(e->sc, 0), 'c');
	/* Empty: nothing left to time out. */
	e->now += 10 * T_115200;
	uart_rx_timer(e->sc);
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	assert_int_equal(e->asserts, 2);
}

/* Each byte in and each read restarts the count (no timeout yet). */
static void
test_rx_timeout_restart(void **state)
{
	struct env *e = *state;
	uint64_t t0 = e->now;

	rx_setup(e, 1);
	e->now = t0 + T_115200 / 2;
	assert_int_equal(uart_rx_put(e->sc, (const uint8_t *)"x", 1), 1);
	e->now = t0 + T_115200;
	uart_rx_timer(e->sc);
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	/* The timer was asked again for the later deadline. */
	assert_true(e->armed_at == t0 + T_115200 / 2 + T_115200);
	e->now = t0 + T_115200 + 100;
	assert_int_equal(uart_read(e->sc, 0), 'a');
	e->now = t0 + 2 * T_115200 + 99;
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	e->now = t0 + 2 * T_115200 + 100;
	/* Seen at a register access too, even before the timer. */
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	assert_int_equal(e->asserts, 1);
	/* A receive FIFO reset drops it with the bytes. */
	uart_write(e->sc, 2, 0x83);
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	assert_int_equal(e->deasserts, 1);
}

/* Without FIFOs: data available at once, never a timeout. */
static void
test_rx_timeout_nofifo(void **state)
{
	struct env *e = *state;

	uart_write(e->sc, 1, 0x01);
	assert_int_equal(uart_rx_put(e->sc, (const uint8_t *)"q", 1), 1);
	assert_int_equal(uart_read(e->sc, 2), 0x04);
	e->now += 100 * T_115200;
	uart_rx_timer(e->sc);
	assert_int_equal(uart_read(e->sc, 2), 0x04);
	assert_int_equal(e->arms, 0);
	/* Turning FIFOs off forgets a pending timeout. */
	assert_int_equal(uart_read(e->sc, 0), 'q');
	rx_setup(e, 1);
	e->now += T_115200;
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	uart_write(e->sc, 2, 0);
	assert_int_equal(uart_read(e->sc, 2), 0x01);
}

/* With this divisor and LCR, the timeout comes exactly ns after a byte. */
static void
expect_timeout(struct env *e, uint16_t div, uint8_t lcr, uint64_t ns)
{
	uint64_t t0;

	uart_write(e->sc, 3, 0x80);
	uart_write(e->sc, 0, (uint8_t)div);
	uart_write(e->sc, 1, (uint8_t)(div >> 8));
	uart_write(e->sc, 3, lcr);
	uart_write(e->sc, 2, 0x87);
	uart_write(e->sc, 1, 0x01);
	t0 = e->now;
	assert_int_equal(uart_rx_put(e->sc, (const uint8_t *)"z", 1), 1);
	e->now = t0 + ns - 1;
	assert_int_equal(uart_read(e->sc, 2), 0xc1);
	e->now = t0 + ns;
	assert_int_equal(uart_read(e->sc, 2), 0xcc);
	assert_int_equal(uart_read(e->sc, 0), 'z');
}

/* Character time from the divisor and the LCR format. */
static void
test_rx_timeout_baud(void **state)
{
	struct env *e = *state;

	/* 115200 8N1: start + 8 + stop = 10 bits. */
	expect_timeout(e, 1, 0x03, T_115200);
	/* 300 baud, 8 bits, parity, 2 stop: 12 bits, 160 ms. */
	expect_timeout(e, 384, 0x0f, 160000000u);
	/* 5 bits and 1.5 stop bits: 7.5 bits. */
	expect_timeout(e, 1, 0x04, 260417);
	/* The reset LCR (0: 5N1): 7 bits. */
	expect_timeout(e, 1, 0x00, 243056);
	/* 7E1 at 9600: 10 bits. */
	expect_timeout(e, 12, 0x1a, 4166667);
	/* The slowest divisor: 22.8 s; 0 counts as 65536. */
	expect_timeout(e, 0xffff, 0x03, 22755208334ull);
	expect_timeout(e, 0, 0x03, 22755555556ull);
}

/* The host clock and a live event loop: the interrupt comes by itself. */
struct live {
	atomic_int	asserts, deasserts;
};

static void
l_assert(void *arg)
{
	atomic_fetch_add(&((struct live *)arg)->asserts, 1);
}

static void
l_deassert(void *arg)
{
	atomic_fetch_add(&((struct live *)arg)->deasserts, 1);
}

static void *
l_dispatch(void *arg)
{
	(void)arg;
	mevent_dispatch();
	return (NULL);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static void
test_rx_timeout_live(void **state)
{
	struct live l = { 0 };
	struct uart_softc *sc;
	pthread_t t;
	uint64_t t0, t1 = 0;

	(void)state;
	assert_int_equal(mevent_init(), 0);
	sc = uart_init(l_assert, l_deassert, &l);
	assert_non_null(sc);
	assert_int_equal(pthread_create(&t, NULL, l_dispatch, NULL), 0);
	uart_write(sc, 2, 0x87);
	uart_write(sc, 1, 0x01);
	t0 = mono_ns();
	assert_int_equal(uart_rx_put(sc, (const uint8_t *)"k", 1), 1);
	for (int i = 0; i < 2000 && atomic_load(&l.asserts) == 0; i++)
		usleep(500);
	t1 = mono_ns();
	assert_int_equal(atomic_load(&l.asserts), 1);
	assert_true(t1 - t0 >= T_115200);
	assert_int_equal(uart_read(sc, 2), 0xcc);
	assert_int_equal(uart_read(sc, 0), 'k');
	assert_int_equal(atomic_load(&l.deasserts), 1);
	/* Destroyed with a timer armed, while the loop runs. */
	assert_int_equal(uart_rx_put(sc, (const uint8_t *)"kk", 2), 2);
	uart_destroy(sc);
	usleep(2000);
	assert_int_equal(atomic_load(&l.asserts), 1);
	mevent_stop();
	pthread_join(t, NULL);
}

/*
 * Save, then restore into a fresh UART on another clock: the guest reads
 * the same registers, divisor and FIFO bytes, the character timeout goes
 * on for the time it had left, and the restore itself raises nothing
 * (the interrupt controller's record has the line).
 */
static void
test_snapshot_roundtrip(void **state)
{
	static const uint8_t in[5] = { 'h', 'e', 'l', 'l', 'o' };
	struct env *e = *state;
	struct env e2;
	struct snap_rec *r;
	uint64_t left;

	uart_write(e->sc, 3, 0x80);		/* DLAB */
	uart_write(e->sc, 0, 0x0c);		/* 9600 baud */
	uart_write(e->sc, 1, 0x00);
	uart_write(e->sc, 3, 0x1b);		/* 8E1 */
	uart_write(e->sc, 2, 0x81);		/* FIFOs on, trigger 8 */
	uart_write(e->sc, 4, 0x0b);		/* DTR, RTS, OUT2 */
	uart_write(e->sc, 7, 0x5a);
	uart_write(e->sc, 1, 0x01);		/* data interrupt */
	assert_int_equal(uart_rx_put(e->sc, in, 5), 5);
	assert_int_equal(e->asserts, 0);	/* below the trigger */
	/* 4 characters of 11 bits at 9600 baud: 4583334 ns; 1 ms gone. */
	left = e->armed_at - e->now - 1000000;
	e->now += 1000000;

	r = snap_rec_new("com1", "uart", 0);
	assert_non_null(r);
	assert_int_equal(uart_snapshot(e->sc, r), 0);
	assert_int_equal(snap_rec_version(r), UART_SNAP_VERSION);

	memset(&e2, 0, sizeof(e2));
	e2.sc = uart_init(e_assert, e_deassert, &e2);
	assert_non_null(e2.sc);
	uart_set_io(e2.sc, e_tx, e_rx_ready, &e2);
	e2.now = 50000000000ull;
	uart_set_clock(e2.sc, &fake_clock, &e2);
	assert_int_equal(uart_restore(e2.sc, r), 0);
	assert_int_equal(e2.asserts, 0);
	assert_true(e2.armed_at == e2.now + left);
	assert_int_equal(uart_read(e2.sc, 1), 0x01);
	assert_int_equal(uart_read(e2.sc, 3), 0x1b);
	assert_int_equal(uart_read(e2.sc, 4), 0x0b);
	assert_int_equal(uart_read(e2.sc, 7), 0x5a);
	assert_int_equal(uart_read(e2.sc, 2), 0xc0 | 0x01);
	assert_int_equal(uart_read(e2.sc, 5), 0x61);
	/* The timeout comes when the rest of its time has passed. */
	e2.now += left;
	uart_rx_timer(e2.sc);
	assert_int_equal(e2.asserts, 1);
	assert_int_equal(uart_read(e2.sc, 2), 0xc0 | 0x0c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(uart_read(e2.sc, 0), in[i]);
	assert_int_equal(uart_read(e2.sc, 2), 0xc1);
	assert_int_equal(e2.deasserts, 1);
	uart_write(e2.sc, 3, 0x9b);
	assert_int_equal(uart_read(e2.sc, 0), 0x0c);
	assert_int_equal(uart_read(e2.sc, 1), 0x00);
	uart_write(e2.sc, 3, 0x1b);
	/* Transmit goes to the new UART's backend. */
	uart_write(e2.sc, 0, 'Z');
	assert_int_equal(e2.ntx, 1);
	assert_int_equal(e->ntx, 0);
	uart_destroy(e2.sc);
	snap_rec_free(r);
}

/* A record of the UART in `e'. */
static struct snap_rec *
uart_saved(struct env *e)
{
	struct snap_rec *r = snap_rec_new("com1", "uart", 0);

	assert_non_null(r);
	assert_int_equal(uart_snapshot(e->sc, r), 0);
	return (r);
}

/* Out-of-range and inconsistent records are refused, nothing changes. */
static void
test_snapshot_refused(void **state)
{
	static const uint8_t big[UART_FIFO_SIZE + 1] = { 0 };
	struct env *e = *state;
	struct uart_softc *dst;
	struct snap_rec *r;

	uart_write(e->sc, 2, 0x01);
	assert_int_equal(uart_rx_put(e->sc, (const uint8_t *)"abc", 3), 3);
	dst = uart_init(NULL, NULL, NULL);
	assert_non_null(dst);
	uart_write(dst, 7, 0x77);

#define	REFUSED(tweak, msg) do {					\
	r = uart_saved(e);						\
	tweak;								\
	assert_true(uart_restore(dst, r) < 0);				\
	if (strstr(snap_rec_errmsg(r), msg) == NULL)			\
		fail_msg("\"%s\" lacks \"%s\"", snap_rec_errmsg(r),	\
		    msg);						\
	snap_rec_free(r);						\
	assert_int_equal(uart_read(dst, 7), 0x77);			\
	assert_int_equal(uart_read(dst, 5), 0x60);			\
} while (0)

	REFUSED(snap_put_blob(r, "rx_fifo", big, sizeof(big)),
	    "rx_fifo holds 17 bytes, the FIFO 16");
	REFUSED(snap_put_u64(r, "fcr", 0), "rx_fifo holds 3 bytes, the FIFO 1");
	REFUSED(snap_put_u64(r, "fcr", 0x40), "without FIFO enable");
	REFUSED(snap_put_u64(r, "ier", 0x10), "\"ier\" = 0x10 has bits");
	REFUSED(snap_put_u64(r, "lcr", 0x100), "\"lcr\" = 0x100 has bits");
	REFUSED(snap_put_u64(r, "msr", 0), "disagrees with mcr");
	REFUSED(snap_put_u64(r, "thre_pending", 2), "out of range");
	REFUSED(snap_del(r, "dll"), "\"dll\" missing");
	REFUSED(snap_put_blob(r, "scr", "x", 1), "is a blob");
	REFUSED(snap_rec_set_version(r, UART_SNAP_VERSION + 1),
	    "not supported");
	REFUSED(snap_put_u64(r, "rx_wait_ns", 60000000000ull),
	    "longer than any character timeout");
	REFUSED(snap_put_u64(r, "rx_timeout", 1), "both latched and counting");
	REFUSED((void)snap_put_blob(r, "rx_fifo", NULL, 0),
	    "without characters waiting");
#undef REFUSED
	uart_destroy(dst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy),
		cmocka_unit_test_setup_teardown(test_reset_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rx_nofifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_out2_gate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_levels, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_modem_status_intr, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rx_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rx_timeout_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rx_timeout_nofifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rx_timeout_baud, setup,
		    teardown),
		cmocka_unit_test(test_rx_timeout_live),
		cmocka_unit_test_setup_teardown(test_snapshot_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_refused, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
