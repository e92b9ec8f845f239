/* SPDX-License-Identifier: BSD-2-Clause */
/* bhyve's userland dispatch: inout.c, mem.c and the mevent.c loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/mevent.h"
#include "vmm/vmm.h"

static int
io_handler(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	int *calls = arg;

	(void)ctx;
	(*calls)++;
	if (in)
		*eax = (uint32_t)(port << 8 | bytes);
	return (port == 0x123 ? -1 : 0);
}

static void
test_inout(void **state)
{
	int calls = 0;
	struct inout_port iop = { "t", 0x120, 4, IOPORT_F_INOUT, io_handler,
	    &calls };
	struct inout_port in_only = { "i", 0x200, 1, IOPORT_F_IN, io_handler,
	    &calls };
	struct vm_exit vme;

	(void)state;
	init_inout();
	assert_int_equal(register_inout(&iop), 0);
	assert_int_equal(register_inout(&iop), -1);	/* taken */
	assert_int_equal(errno, EEXIST);
	assert_int_equal(register_inout(&in_only), 0);
	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.port = 0x121;
	vme.u.inout.bytes = 2;
	vme.u.inout.in = 1;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), 0);
	assert_int_equal(vme.u.inout.eax, 0x12102);
	vme.u.inout.port = 0x124;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), INOUT_UNHANDLED);
	vme.u.inout.port = 0x123;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), -1);
	vme.u.inout.port = 0x200;
	vme.u.inout.in = 0;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), INOUT_UNHANDLED);
	vme.u.inout.bytes = 3;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), -1);
	assert_int_equal(unregister_inout(&iop), 0);
	vme.u.inout.port = 0x121;
	vme.u.inout.bytes = 1;
	assert_int_equal(emulate_inout(NULL, NULL, &vme), INOUT_UNHANDLED);
	iop.port = 0xfffe;
	iop.size = 4;
	assert_int_equal(register_inout(&iop), -1);	/* past 64 Ki */
	assert_int_equal(calls, 2);
}

static int
mem_handler(struct vcpu *vcpu, int dir, uint64_t addr, int size,
    uint64_t *val, void *arg1, long arg2)
{
	(void)vcpu;
	(void)size;
	if (dir == MEM_F_READ)
		*val = addr + (uint64_t)arg2;
	else
		*(uint64_t *)arg1 = *val;
	return (0);
}

static void
test_mem(void **state)
{
	uint64_t sink = 0, v;
	struct mem_range r = { "r", MEM_F_RW, mem_handler, &sink, 1,
	    0xd0000000, 0x1000 };
	struct mem_range fb = { "fb", MEM_F_RW, mem_handler, &sink, 2,
	    0xc0000000, 0x20000000 };
	struct mem_range imm = { "imm", MEM_F_RW | MEM_F_IMMUTABLE,
	    mem_handler, &sink, 3, 0xe0000000, 0x1000 };
	struct vm_exit vme;

	(void)state;
	init_mem(1);
	assert_int_equal(register_mem(&r), 0);
	assert_int_equal(register_mem(&r), -1);
	assert_int_equal(register_mem_fallback(&fb), 0);
	assert_int_equal(register_mem(&imm), 0);
	assert_int_equal(read_mem(NULL, 0xd0000010, &v, 4), 0);
	assert_int_equal(v, 0xd0000011);
	/* Not in an ordinary range: the fallback answers. */
	assert_int_equal(read_mem(NULL, 0xd0001000, &v, 4), 0);
	assert_int_equal(v, 0xd0001002);
	assert_int_equal(write_mem(NULL, 0xd0000000, 77, 4), 0);
	assert_int_equal(sink, 77);
	assert_int_equal(read_mem(NULL, 0x1000, &v, 4), -1);
	memset(&vme, 0, sizeof(vme));
	vme.u.mmio.gpa = 0xe0000004;
	vme.u.mmio.bytes = 4;
	vme.u.mmio.read = 1;
	assert_int_equal(emulate_mmio(NULL, &vme), 0);
	assert_int_equal(vme.u.mmio.data, 0xe0000007);
	vme.u.mmio.gpa = 0x10;
	assert_int_equal(emulate_mmio(NULL, &vme), MEM_UNHANDLED);
	assert_int_equal(unregister_mem(&imm), -1);	/* immutable */
	assert_int_equal(unregister_mem(&r), 0);
	assert_int_equal(read_mem(NULL, 0xd0000010, &v, 4), 0);
	assert_int_equal(v, 0xd0000012);		/* fallback now */
}

struct mev_env {
	int		fds[2];
	int		reads;
	int		ticks;
	char		got[8];
	struct mevent	*rd;
};

static void
on_read(int fd, enum ev_type type, void *arg)
{
	struct mev_env *m = arg;
	ssize_t n;

	assert_int_equal(type, EVF_READ);
	n = read(fd, m->got, sizeof(m->got));
	if (n > 0)
		m->reads++;
	mevent_stop();
}

static void
on_tick(int fd, enum ev_type type, void *arg)
{
	struct mev_env *m = arg;

	(void)fd;
	assert_int_equal(type, EVF_TIMER);
	if (++m->ticks == 3)
		mevent_stop();
}

static void *
dispatch(void *arg)
{
	(void)arg;
	mevent_dispatch();
	return (NULL);
}

static void
test_mevent(void **state)
{
	struct mev_env m;
	struct mevent *tm;
	pthread_t t;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(mevent_init(), 0);
	assert_int_equal(pipe(m.fds), 0);
	m.rd = mevent_add(m.fds[0], EVF_READ, on_read, &m);
	assert_non_null(m.rd);
	assert_int_equal(pthread_create(&t, NULL, dispatch, NULL), 0);
	assert_int_equal(write(m.fds[1], "hey", 3), 3);
	pthread_join(t, NULL);
	assert_int_equal(m.reads, 1);
	assert_memory_equal(m.got, "hey", 3);
	assert_int_equal(mevent_delete_close(m.rd), 0);

	/* A 10 ms periodic timer. */
	assert_int_equal(mevent_init(), 0);
	tm = mevent_add(10, EVF_TIMER, on_tick, &m);
	assert_non_null(tm);
	assert_int_equal(pthread_create(&t, NULL, dispatch, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(m.ticks, 3);
	assert_int_equal(mevent_delete(tm), 0);
	assert_null(mevent_add(0, EVF_SIGNAL, on_tick, &m));
	close(m.fds[1]);
}

/* One-shot timers: the callback runs on the dispatch thread. */
struct shot_env {
	pthread_mutex_t	mtx;
	pthread_cond_t	cv;
	int		entered, fired, fd;
	uint64_t	at;		/* when it last fired, ns */
	bool		slow;		/* the callback takes 50 ms */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static void
on_shot(int fd, enum ev_type type, void *arg)
{
	struct shot_env *s = arg;
	bool slow;

	pthread_mutex_lock(&s->mtx);
	s->entered++;
	slow = s->slow;
	pthread_mutex_unlock(&s->mtx);
	if (slow)
		usleep(50000);
	pthread_mutex_lock(&s->mtx);
	s->fired++;
	s->fd = type == EVF_TIMER ? fd : -2;
	s->at = now_ns();
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

/* Wait up to 2 s for `field' to reach n; its value. */
static int
shot_wait(struct shot_env *s, const int *field, int n)
{
	struct timespec dl;
	int v;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	pthread_mutex_lock(&s->mtx);
	while (*field < n && pthread_cond_timedwait(&s->cv, &s->mtx, &dl) == 0)
		;
	v = *field;
	pthread_mutex_unlock(&s->mtx);
	return (v);
}

static int
shot_count(struct shot_env *s)
{
	int v;

	pthread_mutex_lock(&s->mtx);
	v = s->fired;
	pthread_mutex_unlock(&s->mtx);
	return (v);
}

static void
test_mevent_oneshot(void **state)
{
	struct shot_env s;
	struct mevent *shot, *tick;
	pthread_t t;
	uint64_t t0;

	(void)state;
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mtx, NULL);
	pthread_cond_init(&s.cv, NULL);
	assert_int_equal(mevent_init(), 0);
	shot = mevent_add_oneshot(on_shot, &s);
	assert_non_null(shot);
	assert_int_equal(pthread_create(&t, NULL, dispatch, NULL), 0);

	/* Idle until armed; then once, no earlier than asked. */
	usleep(10000);
	assert_int_equal(shot_count(&s), 0);
	t0 = now_ns();
	assert_int_equal(mevent_timer_start(shot, 300000), 0);	/* 300 us */
	assert_int_equal(shot_wait(&s, &s.fired, 1), 1);
	assert_true(s.at - t0 >= 300000);
	assert_int_equal(s.fd, -1);
	usleep(20000);
	assert_int_equal(shot_count(&s), 1);

	/* Re-arming replaces the deadline, earlier or later. */
	t0 = now_ns();
	assert_int_equal(mevent_timer_start(shot, 10ull * 1000000000u), 0);
	assert_int_equal(mevent_timer_start(shot, 200000), 0);
	assert_int_equal(shot_wait(&s, &s.fired, 2), 2);
	assert_true(s.at - t0 < 1000000000u);
	assert_int_equal(mevent_timer_start(shot, 1000000), 0);
	assert_int_equal(mevent_timer_start(shot, 40000000), 0);
	usleep(15000);
	assert_int_equal(shot_count(&s), 2);		/* not at 1 ms */
	assert_int_equal(shot_wait(&s, &s.fired, 3), 3);

	/* Stopped: never fires. */
	assert_int_equal(mevent_timer_start(shot, 5000000), 0);
	assert_int_equal(mevent_timer_stop(shot), 0);
	usleep(30000);
	assert_int_equal(shot_count(&s), 3);

	/* Periodic-only and one-shot-only calls are refused. */
	assert_int_equal(mevent_timer_update(shot, 10), -1);
	assert_int_equal(errno, EINVAL);
	tick = mevent_add(1000, EVF_TIMER, on_shot, &s);
	assert_non_null(tick);
	assert_int_equal(mevent_timer_start(tick, 1000), -1);
	assert_int_equal(mevent_delete(tick), 0);

	/* delete_wait returns only once a running callback is done. */
	pthread_mutex_lock(&s.mtx);
	s.slow = true;
	pthread_mutex_unlock(&s.mtx);
	assert_int_equal(mevent_timer_start(shot, 0), 0);
	assert_int_equal(shot_wait(&s, &s.entered, 4), 4);
	assert_int_equal(mevent_delete_wait(shot), 0);
	assert_int_equal(shot_count(&s), 4);
	assert_int_equal(mevent_timer_start(shot, 1000), -1);	/* deleted */

	mevent_stop();
	pthread_join(t, NULL);
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mtx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inout),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_mevent),
		cmocka_unit_test(test_mevent_oneshot),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
