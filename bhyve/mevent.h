/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop (FreeBSD usr.sbin/bhyve/mevent.h, on epoll): callbacks
 * for readable/writable descriptors, periodic timers and one-shot timers
 * (ours), all run on the thread that calls mevent_dispatch().  One loop
 * per bhyve process.
 */
#ifndef _BHYVE_MEVENT_H_
#define _BHYVE_MEVENT_H_

#include <stdint.h>

enum ev_type {
	EVF_READ,
	EVF_WRITE,
	EVF_TIMER,	/* fd argument: period in milliseconds */
	EVF_SIGNAL,	/* not supported yet */
};

struct mevent;

typedef void (*mevent_cb_t)(int fd, enum ev_type type, void *param);

int	mevent_init(void);
struct mevent *mevent_add(int fd, enum ev_type type, mevent_cb_t func,
	    void *param);
struct mevent *mevent_add_disabled(int fd, enum ev_type type,
	    mevent_cb_t func, void *param);
int	mevent_enable(struct mevent *evp);
int	mevent_disable(struct mevent *evp);
int	mevent_delete(struct mevent *evp);
int	mevent_delete_close(struct mevent *evp);
/*
 * Delete, then wait until the event's callback is not running on the
 * dispatch thread (no wait when called from it), so that its param may
 * be freed at once.  The caller must hold no lock the callback takes.
 */
int	mevent_delete_wait(struct mevent *evp);
int	mevent_timer_update(struct mevent *evp, int msecs);

/*
 * One-shot timers with nanosecond resolution (EVF_TIMER to the callback,
 * fd -1).  Created idle; mevent_timer_start() arms one to fire once,
 * nsecs from now (0: at once), replacing any deadline it had, and
 * mevent_timer_stop() cancels it.  Both may be called from any thread,
 * callbacks included.  A callback can still come shortly after a
 * restart or stop that raced with the expiry it reports: the owner
 * checks its own deadline.
 */
struct mevent *mevent_add_oneshot(mevent_cb_t func, void *param);
int	mevent_timer_start(struct mevent *evp, uint64_t nsecs);
int	mevent_timer_stop(struct mevent *evp);
/* Run callbacks until mevent_stop(). */
void	mevent_dispatch(void);
void	mevent_stop(void);

#endif /* _BHYVE_MEVENT_H_ */
