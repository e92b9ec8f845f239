/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop (FreeBSD usr.sbin/bhyve/mevent.h, on epoll): callbacks
 * for readable/writable descriptors and periodic timers, all run on the
 * thread that calls mevent_dispatch().  One loop per bhyve process.
 */
#ifndef _BHYVE_MEVENT_H_
#define _BHYVE_MEVENT_H_

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
int	mevent_timer_update(struct mevent *evp, int msecs);
/* Run callbacks until mevent_stop(). */
void	mevent_dispatch(void);
void	mevent_stop(void);

#endif /* _BHYVE_MEVENT_H_ */
