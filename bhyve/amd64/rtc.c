/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RTC start-up (rtc.h).  The CMOS memory-size bytes follow the PC/AT
 * convention that firmware (EDK2's bhyve platform, SeaBIOS) reads:
 * 0x34/0x35 the 64 KiB blocks of RAM between 16 MiB and 4 GiB, 0x5B-0x5D
 * the 64 KiB blocks above 4 GiB, little-endian.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/amd64/rtc.h"
#include "bhyve/config.h"
#include "libvmmapi/vmmapi.h"

#define	RTC_LMEM_LSB	0x34
#define	RTC_LMEM_MSB	0x35
#define	RTC_HMEM_LSB	0x5b
#define	RTC_HMEM_SB	0x5c
#define	RTC_HMEM_MSB	0x5d

#define	KB64		(64ULL << 10)
#define	MB16		(16ULL << 20)

time_t
rtc_host_time(bool localtime)
{
	struct tm tm;
	time_t t = time(NULL);

	/*
	 * The RTC holds wall-clock fields; the engine takes seconds since
	 * the epoch and converts them as UTC.  For local time, read the
	 * local fields and convert them back as if they were UTC.
	 */
	if (localtime && localtime_r(&t, &tm) != NULL)
		t = timegm(&tm);
	return (t);
}

int
rtc_init(struct vmctx *ctx)
{
	uint64_t lo, hi;
	bool local;
	int error = 0;

	lo = vm_get_lowmem_size(ctx);
	lo = lo > MB16 ? (lo - MB16) / KB64 : 0;
	if (lo > 0xffff)
		lo = 0xffff;
	hi = vm_get_highmem_size(ctx) / KB64;
	if (hi > 0xffffff)
		hi = 0xffffff;
	error |= vm_rtc_write(ctx, RTC_LMEM_LSB, (uint8_t)lo);
	error |= vm_rtc_write(ctx, RTC_LMEM_MSB, (uint8_t)(lo >> 8));
	error |= vm_rtc_write(ctx, RTC_HMEM_LSB, (uint8_t)hi);
	error |= vm_rtc_write(ctx, RTC_HMEM_SB, (uint8_t)(hi >> 8));
	error |= vm_rtc_write(ctx, RTC_HMEM_MSB, (uint8_t)(hi >> 16));
	if (error != 0) {
		fprintf(stderr, "rtc: vm_rtc_write: %s\n", strerror(errno));
		return (-1);
	}
	local = get_config_bool_default("rtc.use_localtime", true);
	if (vm_rtc_settime(ctx, rtc_host_time(local)) != 0) {
		fprintf(stderr, "rtc: vm_rtc_settime: %s\n", strerror(errno));
		return (-1);
	}
	return (0);
}
