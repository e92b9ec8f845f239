/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userland side of the RTC (FreeBSD usr.sbin/bhyve/amd64/rtc.c): the
 * in-engine MC146818 keeps time; bhyve sets it at startup and records
 * the memory size in CMOS NVRAM for firmware.
 */
#ifndef _BHYVE_AMD64_RTC_H_
#define _BHYVE_AMD64_RTC_H_

#include <stdbool.h>
#include <time.h>

struct vmctx;

/*
 * The time the RTC starts with: the host's local time, or UTC when
 * rtc.use_localtime is false (bhyve -u).
 */
time_t	rtc_host_time(bool localtime);
/* Set time and NVRAM memory size bytes; 0 or -1 with a message. */
int	rtc_init(struct vmctx *ctx);

#endif /* _BHYVE_AMD64_RTC_H_ */
