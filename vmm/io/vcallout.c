/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Callout wheel: absolute-deadline timers for in-engine devices (vdev.h).
 *
 * One wheel per VM.  Armed callouts sit on a list sorted by deadline; a
 * timer thread sleeps on a condition variable (CLOCK_MONOTONIC) until the
 * earliest deadline and runs expired callbacks with no lock held.  A
 * "manual" wheel has no thread: unit tests advance a fake clock and call
 * vcallout_wheel_run_due() to fire what is due, synchronously.
 *
 * Deadlines are in the wheel's clock.  For the host clock that is
 * CLOCK_MONOTONIC itself; for any other clock the thread converts the
 * remaining time into a CLOCK_MONOTONIC wake-up and re-reads the clock on
 * waking, so a clock that runs at another rate is still honoured
 * (bounded by VCALLOUT_MAX_SLEEP_NS).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "vmm/io/vdev.h"

/* Longest single sleep: bounds the error for clocks not monotonic-based. */
#define	VCALLOUT_MAX_SLEEP_NS	1000000000ull
/* A run_due() call fires at most this many callbacks (periodic storms). */
#define	VCALLOUT_MAX_BATCH	100000

struct vcallout {
	struct vcallout_wheel *w;
	vcallout_fn	fn;
	void		*arg;
	uint64_t	deadline;	/* valid while pending */
	bool		pending;	/* on w->head */
	struct vcallout	*next, *prev;
};

struct vcallout_wheel {
	struct vdev_clock clk;
	/*
	 * mtx protects everything below and every callout's deadline,
	 * pending, next and prev fields.
	 */
	pthread_mutex_t	mtx;
	pthread_cond_t	cv;		/* head changed or stopping */
	pthread_cond_t	done_cv;	/* a callback returned */
	struct vcallout	*head;		/* sorted by deadline, earliest first */
	struct vcallout	*running;	/* callback in progress, or NULL */
	pthread_t	running_thr;	/* thread running it */
	bool		stopping;
	bool		has_thread;
	pthread_t	thr;
};

static void
wheel_unlink(struct vcallout_wheel *w, struct vcallout *c)
{
	if (!c->pending)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->pending = false;
}

/* Insert in deadline order; equal deadlines keep arming order (FIFO). */
static void
wheel_insert(struct vcallout_wheel *w, struct vcallout *c)
{
	struct vcallout *p, *prev;

	prev = NULL;
	for (p = w->head; p != NULL && p->deadline <= c->deadline; p = p->next)
		prev = p;
	c->prev = prev;
	c->next = p;
	if (prev != NULL)
		prev->next = c;
	else
		w->head = c;
	if (p != NULL)
		p->prev = c;
	c->pending = true;
}

/*
 * Fire the first callout if it is due at `now`.  Called and returns with
 * w->mtx held; drops it around the callback.  Returns true if one fired.
 */
static bool
wheel_fire_one(struct vcallout_wheel *w, uint64_t now)
{
	struct vcallout *c;

	c = w->head;
	if (c == NULL || c->deadline > now)
		return (false);
	wheel_unlink(w, c);
	w->running = c;
	w->running_thr = pthread_self();
	pthread_mutex_unlock(&w->mtx);
	c->fn(c->arg);
	pthread_mutex_lock(&w->mtx);
	w->running = NULL;
	pthread_cond_broadcast(&w->done_cv);
	return (true);
}

static void
wheel_sleep(struct vcallout_wheel *w, uint64_t now)
{
	struct timespec ts;
	uint64_t delta, t;

	if (w->head == NULL) {
		pthread_cond_wait(&w->cv, &w->mtx);
		return;
	}
	delta = w->head->deadline - now;
	if (delta > VCALLOUT_MAX_SLEEP_NS)
		delta = VCALLOUT_MAX_SLEEP_NS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + delta;
	ts.tv_sec = (time_t)(t / 1000000000ull);
	ts.tv_nsec = (long)(t % 1000000000ull);
	pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
}

static void *
wheel_thread(void *arg)
{
	struct vcallout_wheel *w = arg;
	uint64_t now;

	pthread_mutex_lock(&w->mtx);
	while (!w->stopping) {
		now = w->clk.now_ns(w->clk.arg);
		if (wheel_fire_one(w, now))
			continue;
		wheel_sleep(w, now);
	}
	pthread_mutex_unlock(&w->mtx);
	return (NULL);
}

static struct vcallout_wheel *
wheel_alloc(const struct vdev_clock *clk)
{
	struct vcallout_wheel *w;
	pthread_condattr_t ca;

	if (clk == NULL || clk->now_ns == NULL)
		return (NULL);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return (NULL);
	w->clk = *clk;
	pthread_mutex_init(&w->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->done_cv, NULL);
	return (w);
}

static void
wheel_free(struct vcallout_wheel *w)
{
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mtx);
	free(w);
}

struct vcallout_wheel *
vcallout_wheel_create(const struct vdev_clock *clk)
{
	struct vcallout_wheel *w;

	w = wheel_alloc(clk);
	if (w == NULL)
		return (NULL);
	if (pthread_create(&w->thr, NULL, wheel_thread, w) != 0) {
		wheel_free(w);
		return (NULL);
	}
	w->has_thread = true;
	return (w);
}

struct vcallout_wheel *
vcallout_wheel_create_manual(const struct vdev_clock *clk)
{
	return (wheel_alloc(clk));
}

int
vcallout_wheel_run_due(struct vcallout_wheel *w)
{
	int n;

	pthread_mutex_lock(&w->mtx);
	for (n = 0; n < VCALLOUT_MAX_BATCH; n++) {
		if (!wheel_fire_one(w, w->clk.now_ns(w->clk.arg)))
			break;
	}
	pthread_mutex_unlock(&w->mtx);
	return (n);
}

uint64_t
vcallout_wheel_now(const struct vcallout_wheel *w)
{
	return (w->clk.now_ns(w->clk.arg));
}

void
vcallout_wheel_destroy(struct vcallout_wheel *w)
{
	if (w == NULL)
		return;
	if (w->has_thread) {
		pthread_mutex_lock(&w->mtx);
		w->stopping = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mtx);
		pthread_join(w->thr, NULL);
	}
	wheel_free(w);
}

struct vcallout *
vcallout_create(struct vcallout_wheel *w, vcallout_fn fn, void *arg)
{
	struct vcallout *c;

	if (w == NULL || fn == NULL)
		return (NULL);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return (NULL);
	c->w = w;
	c->fn = fn;
	c->arg = arg;
	return (c);
}

void
vcallout_destroy(struct vcallout *c)
{
	if (c == NULL)
		return;
	vcallout_stop(c);
	free(c);
}

void
vcallout_reset(struct vcallout *c, uint64_t deadline_ns)
{
	struct vcallout_wheel *w = c->w;

	pthread_mutex_lock(&w->mtx);
	wheel_unlink(w, c);
	c->deadline = deadline_ns;
	wheel_insert(w, c);
	if (w->head == c)
		pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mtx);
}

void
vcallout_cancel(struct vcallout *c)
{
	struct vcallout_wheel *w = c->w;

	pthread_mutex_lock(&w->mtx);
	wheel_unlink(w, c);
	pthread_mutex_unlock(&w->mtx);
}

void
vcallout_stop(struct vcallout *c)
{
	struct vcallout_wheel *w = c->w;

	pthread_mutex_lock(&w->mtx);
	wheel_unlink(w, c);
	while (w->running == c && !pthread_equal(w->running_thr,
	    pthread_self()))
		pthread_cond_wait(&w->done_cv, &w->mtx);
	pthread_mutex_unlock(&w->mtx);
}

bool
vcallout_pending(struct vcallout *c)
{
	struct vcallout_wheel *w = c->w;
	bool p;

	pthread_mutex_lock(&w->mtx);
	p = c->pending;
	pthread_mutex_unlock(&w->mtx);
	return (p);
}
