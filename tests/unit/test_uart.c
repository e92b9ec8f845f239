/* SPDX-License-Identifier: BSD-2-Clause */
/* 16550A register model: THR/RBR, IER/IIR, FIFO, DLAB, LSR, MSR, loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bhyve/uart_emul.h"

struct env {
	struct uart_softc *sc;
	int		asserts, deasserts, rx_ready;
	uint8_t		tx[64];
	int		ntx;
};

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
	/* Below the trigger level: the timeout indication. */
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x0c);
	assert_int_equal(uart_rx_put(e->sc, in + 2, 18), 14);
	assert_int_equal(uart_rx_room(e->sc), 0);
	assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x04);
	for (int i = 0; i < 16; i++)
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
			assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x0c);
			assert_int_equal(uart_rx_put(e->sc, in, 1), 1);
		} else {
			assert_int_equal(uart_rx_put(e->sc, in, 1), 1);
		}
		assert_int_equal(uart_read(e->sc, 2), 0xc0 | 0x04);
	}
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
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
