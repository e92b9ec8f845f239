/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Event loop on epoll.  Any thread may add, enable, disable or delete
 * events; callbacks run on the dispatch thread.  A deleted event is only
 * unlinked from epoll at once; it is freed by the dispatch thread after
 * the batch that may still name it, so a callback never sees freed
 * memory.
 *
 * Timers are timerfds: periodic ones (EVF_TIMER with a period in ms, as
 * FreeBSD's) and one-shot ones with nanosecond resolution, armed and
 * re-armed from any thread (device models that need a deadline shorter
 * than a millisecond, such as a UART's character timeout).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "bhyve/mevent.h"

#define	MEVENT_BATCH	32

struct mevent {
	int		fd;		/* user's fd, or our timerfd */
	enum ev_type	type;
	mevent_cb_t	func;
	void		*param;
	int		user_fd;	/* fd passed to the callback */
	bool		enabled;	/* (lock) */
	bool		deleted;	/* (lock) */
	bool		close_fd;
	bool		oneshot;	/* one-shot timer */
	struct mevent	*next_free;	/* (lock) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;	/* running done */
static int epfd = -1;			/* (c after init) */
static int wakefd = -1;			/* eventfd: stop request */
static bool stopping;			/* (lock) */
static struct mevent *freelist;		/* (lock) deleted, to free */
static struct mevent *running;		/* (lock) callback in progress */
static pthread_t dispatcher;		/* (lock) valid while running */

int
mevent_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	pthread_mutex_lock(&lock);
	if (epfd >= 0) {
		stopping = false;
		pthread_mutex_unlock(&lock);
		return (0);
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (epfd < 0 || wakefd < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) {
		pthread_mutex_unlock(&lock);
		return (-1);
	}
	stopping = false;
	pthread_mutex_unlock(&lock);
	return (0);
}

static uint32_t
ev_bits(const struct mevent *mev)
{
	return (mev->type == EVF_WRITE ? EPOLLOUT : EPOLLIN);
}

static int
ctl_locked(struct mevent *mev, int op)
{
	struct epoll_event ev = { .events = ev_bits(mev), .data.ptr = mev };

	return (epoll_ctl(epfd, op, mev->fd, &ev));
}

static int
timer_arm(struct mevent *mev, int msecs)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = msecs / 1000;
	its.it_value.tv_nsec = (long)(msecs % 1000) * 1000000;
	its.it_interval = its.it_value;
	return (timerfd_settime(mev->fd, 0, &its, NULL));
}

static struct mevent *
add(int fd, enum ev_type type, mevent_cb_t func, void *param, bool enabled)
{
	struct mevent *mev;

	if (func == NULL || type == EVF_SIGNAL || epfd < 0) {
		errno = EINVAL;
		return (NULL);
	}
	mev = calloc(1, sizeof(*mev));
	if (mev == NULL)
		return (NULL);
	mev->type = type;
	mev->func = func;
	mev->param = param;
	mev->user_fd = fd;
	mev->fd = fd;
	if (type == EVF_TIMER) {
		if (fd <= 0) {
			free(mev);
			errno = EINVAL;
			return (NULL);
		}
		mev->fd = timerfd_create(CLOCK_MONOTONIC,
		    TFD_CLOEXEC | TFD_NONBLOCK);
		if (mev->fd < 0 || timer_arm(mev, fd) != 0) {
			if (mev->fd >= 0)
				close(mev->fd);
			free(mev);
			return (NULL);
		}
		mev->close_fd = true;
	}
	pthread_mutex_lock(&lock);
	mev->enabled = enabled;
	if (enabled && ctl_locked(mev, EPOLL_CTL_ADD) != 0) {
		int error = errno;

		pthread_mutex_unlock(&lock);
		if (mev->close_fd)
			close(mev->fd);
		free(mev);
		errno = error;
		return (NULL);
	}
	pthread_mutex_unlock(&lock);
	return (mev);
}

/*
 * A timerfd that is created disarmed: it never becomes readable until
 * mevent_timer_start() sets a deadline.
 */
struct mevent *
mevent_add_oneshot(mevent_cb_t func, void *param)
{
	struct mevent *mev;
	int tfd, error;

	if (func == NULL || epfd < 0) {
		errno = EINVAL;
		return (NULL);
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0)
		return (NULL);
	mev = calloc(1, sizeof(*mev));
	if (mev == NULL) {
		close(tfd);
		return (NULL);
	}
	mev->type = EVF_TIMER;
	mev->func = func;
	mev->param = param;
	mev->fd = tfd;
	mev->user_fd = -1;
	mev->close_fd = true;
	mev->oneshot = true;
	pthread_mutex_lock(&lock);
	mev->enabled = true;
	if (ctl_locked(mev, EPOLL_CTL_ADD) != 0) {
		error = errno;
		pthread_mutex_unlock(&lock);
		close(tfd);
		free(mev);
		errno = error;
		return (NULL);
	}
	pthread_mutex_unlock(&lock);
	return (mev);
}

struct mevent *
mevent_add(int fd, enum ev_type type, mevent_cb_t func, void *param)
{
	return (add(fd, type, func, param, true));
}

struct mevent *
mevent_add_disabled(int fd, enum ev_type type, mevent_cb_t func,
    void *param)
{
	return (add(fd, type, func, param, false));
}

int
mevent_enable(struct mevent *mev)
{
	int error = 0;

	pthread_mutex_lock(&lock);
	if (!mev->deleted && !mev->enabled) {
		error = ctl_locked(mev, EPOLL_CTL_ADD);
		if (error == 0)
			mev->enabled = true;
	}
	pthread_mutex_unlock(&lock);
	return (error);
}

int
mevent_disable(struct mevent *mev)
{
	int error = 0;

	pthread_mutex_lock(&lock);
	if (!mev->deleted && mev->enabled) {
		error = ctl_locked(mev, EPOLL_CTL_DEL);
		mev->enabled = false;
	}
	pthread_mutex_unlock(&lock);
	return (error);
}

static int
delete(struct mevent *mev, bool close_fd)
{
	pthread_mutex_lock(&lock);
	if (mev->deleted) {
		pthread_mutex_unlock(&lock);
		errno = EINVAL;
		return (-1);
	}
	if (mev->enabled)
		(void)ctl_locked(mev, EPOLL_CTL_DEL);
	mev->enabled = false;
	mev->deleted = true;
	if (close_fd && !mev->close_fd)
		close(mev->user_fd);
	if (mev->close_fd)
		close(mev->fd);
	mev->next_free = freelist;
	freelist = mev;
	pthread_mutex_unlock(&lock);
	return (0);
}

int
mevent_delete(struct mevent *mev)
{
	return (delete(mev, false));
}

int
mevent_delete_wait(struct mevent *mev)
{
	int error;

	error = delete(mev, false);
	if (error != 0)
		return (error);
	/*
	 * fire() no longer starts the callback (deleted is set); wait for a
	 * call already under way, unless it is ours.
	 */
	pthread_mutex_lock(&lock);
	while (running == mev && !pthread_equal(dispatcher, pthread_self()))
		pthread_cond_wait(&idle, &lock);
	pthread_mutex_unlock(&lock);
	return (0);
}

int
mevent_delete_close(struct mevent *mev)
{
	return (delete(mev, true));
}

int
mevent_timer_update(struct mevent *mev, int msecs)
{
	if (mev->type != EVF_TIMER || mev->oneshot || msecs <= 0) {
		errno = EINVAL;
		return (-1);
	}
	return (timer_arm(mev, msecs));
}

/* Arm or (nsecs 0 and stop) disarm a one-shot timer. */
static int
oneshot_set(struct mevent *mev, uint64_t nsecs, bool stop)
{
	struct itimerspec its = { 0 };
	int error;

	if (!mev->oneshot) {
		errno = EINVAL;
		return (-1);
	}
	/* An it_value of zero would disarm: "now" is 1 ns from now. */
	if (!stop && nsecs == 0)
		nsecs = 1;
	its.it_value.tv_sec = (time_t)(nsecs / 1000000000u);
	its.it_value.tv_nsec = (long)(nsecs % 1000000000u);
	/* Under the lock: a deleted event's fd is closed (maybe reused). */
	pthread_mutex_lock(&lock);
	if (mev->deleted) {
		pthread_mutex_unlock(&lock);
		errno = EINVAL;
		return (-1);
	}
	error = timerfd_settime(mev->fd, 0, &its, NULL);
	pthread_mutex_unlock(&lock);
	return (error);
}

int
mevent_timer_start(struct mevent *mev, uint64_t nsecs)
{
	return (oneshot_set(mev, nsecs, false));
}

int
mevent_timer_stop(struct mevent *mev)
{
	return (oneshot_set(mev, 0, true));
}

static void
reap(void)
{
	struct mevent *list;

	pthread_mutex_lock(&lock);
	list = freelist;
	freelist = NULL;
	pthread_mutex_unlock(&lock);
	while (list != NULL) {
		struct mevent *next = list->next_free;

		free(list);
		list = next;
	}
}

static void
fire(struct mevent *mev)
{
	uint64_t ticks;
	bool live;

	pthread_mutex_lock(&lock);
	live = !mev->deleted && mev->enabled;
	/*
	 * A timer must be read or it stays readable.  A one-shot timer
	 * re-armed or stopped since epoll saw it reads nothing (EAGAIN):
	 * its old deadline is gone, so is the call.
	 */
	if (live && mev->type == EVF_TIMER &&
	    read(mev->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		live = false;
	if (live)
		running = mev;
	pthread_mutex_unlock(&lock);
	if (!live)
		return;
	mev->func(mev->user_fd, mev->type, mev->param);
	pthread_mutex_lock(&lock);
	running = NULL;
	pthread_cond_broadcast(&idle);
	pthread_mutex_unlock(&lock);
}

void
mevent_dispatch(void)
{
	struct epoll_event evs[MEVENT_BATCH];
	uint64_t v;
	int n;

	pthread_mutex_lock(&lock);
	dispatcher = pthread_self();
	pthread_mutex_unlock(&lock);
	for (;;) {
		n = epoll_wait(epfd, evs, MEVENT_BATCH, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				(void)read(wakefd, &v, sizeof(v));
				continue;
			}
			fire(evs[i].data.ptr);
		}
		reap();
		pthread_mutex_lock(&lock);
		if (stopping) {
			pthread_mutex_unlock(&lock);
			break;
		}
		pthread_mutex_unlock(&lock);
	}
}

void
mevent_stop(void)
{
	uint64_t one = 1;

	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_mutex_unlock(&lock);
	if (wakefd >= 0)
		(void)write(wakefd, &one, sizeof(one));
}
