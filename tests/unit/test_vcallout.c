/* SPDX-License-Identifier: BSD-2-Clause */
/* Callout wheel: manual wheel with a fake clock, and the threaded wheel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/io/vdev.h"

static uint64_t
fake_now(void *arg)
{
	return (*(uint64_t *)arg);
}

static uint64_t
mono_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

/* Callbacks run on the timer thread: the test reads through atomics. */
struct rec {
	_Atomic int n;
	int	id;
};

static _Atomic int log_buf[16];
static _Atomic int log_n;

static void
fire(void *arg)
{
	struct rec *r = arg;
	int i = log_n++;

	if (i < 16)
		log_buf[i] = r->id;
	r->n++;
}

static void
test_manual_order(void **state)
{
	uint64_t t = 1000;
	struct vdev_clock clk = { fake_now, &t };
	struct vcallout_wheel *w;
	struct vcallout *a, *b, *c;
	struct rec ra = { .id = 1 }, rb = { .id = 2 }, rc = { .id = 3 };

	(void)state;
	log_n = 0;
	w = vcallout_wheel_create_manual(&clk);
	assert_non_null(w);
	assert_int_equal(vcallout_wheel_now(w), 1000);
	a = vcallout_create(w, fire, &ra);
	b = vcallout_create(w, fire, &rb);
	c = vcallout_create(w, fire, &rc);
	vcallout_reset(a, 3000);
	vcallout_reset(b, 2000);
	vcallout_reset(c, 2000);
	assert_true(vcallout_pending(a));
	assert_int_equal(vcallout_wheel_run_due(w), 0);
	t = 2000;
	assert_int_equal(vcallout_wheel_run_due(w), 2);
	assert_int_equal(log_buf[0], 2);
	assert_int_equal(log_buf[1], 3);
	assert_false(vcallout_pending(b));
	/* re-arm moves it */
	vcallout_reset(a, 5000);
	t = 4000;
	assert_int_equal(vcallout_wheel_run_due(w), 0);
	vcallout_cancel(a);
	assert_false(vcallout_pending(a));
	t = 6000;
	assert_int_equal(vcallout_wheel_run_due(w), 0);
	vcallout_reset(a, 6000);
	vcallout_stop(a);
	assert_int_equal(vcallout_wheel_run_due(w), 0);
	assert_int_equal(ra.n, 0);
	vcallout_destroy(a);
	vcallout_destroy(b);
	vcallout_destroy(c);
	vcallout_wheel_destroy(w);
}

/* A periodic callout re-arming itself from its callback. */
struct per {
	struct vcallout *c;
	uint64_t next;
	int n;
};

static void
periodic(void *arg)
{
	struct per *p = arg;

	p->n++;
	p->next += 100;
	vcallout_reset(p->c, p->next);
}

static void
test_manual_periodic(void **state)
{
	uint64_t t = 0;
	struct vdev_clock clk = { fake_now, &t };
	struct vcallout_wheel *w;
	struct per p = { .next = 100 };

	(void)state;
	w = vcallout_wheel_create_manual(&clk);
	p.c = vcallout_create(w, periodic, &p);
	vcallout_reset(p.c, p.next);
	t = 1050;
	assert_int_equal(vcallout_wheel_run_due(w), 10);
	assert_int_equal(p.n, 10);
	vcallout_destroy(p.c);
	vcallout_wheel_destroy(w);
}

static void
test_threaded(void **state)
{
	struct vdev_clock clk = { mono_now, NULL };
	struct vcallout_wheel *w;
	struct vcallout *a, *b;
	struct rec ra = { .id = 1 }, rb = { .id = 2 };
	int i;

	(void)state;
	log_n = 0;
	w = vcallout_wheel_create(&clk);
	assert_non_null(w);
	a = vcallout_create(w, fire, &ra);
	b = vcallout_create(w, fire, &rb);
	vcallout_reset(a, mono_now(NULL) + 20000000);	/* 20 ms */
	vcallout_reset(b, mono_now(NULL) + 1000000);	/* 1 ms */
	for (i = 0; i < 200 && ra.n == 0; i++)
		usleep(1000);
	assert_int_equal(rb.n, 1);
	assert_int_equal(ra.n, 1);
	assert_int_equal(log_buf[0], 2);
	/* stop before expiry: never fires */
	vcallout_reset(a, mono_now(NULL) + 5000000);
	vcallout_stop(a);
	usleep(10000);
	assert_int_equal(ra.n, 1);
	vcallout_destroy(a);
	vcallout_destroy(b);
	vcallout_wheel_destroy(w);
}

static void
test_bad_args(void **state)
{
	struct vdev_clock none = { NULL, NULL };

	(void)state;
	assert_null(vcallout_wheel_create_manual(&none));
	assert_null(vcallout_wheel_create(NULL));
	assert_null(vcallout_create(NULL, fire, NULL));
	vcallout_wheel_destroy(NULL);
	vcallout_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manual_order),
		cmocka_unit_test(test_manual_periodic),
		cmocka_unit_test(test_threaded),
		cmocka_unit_test(test_bad_args),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
