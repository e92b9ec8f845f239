/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MC146818A real-time clock plus RAM (Motorola MC146818A datasheet).
 *
 * Time model.  While the divider runs (register A DV = 010) the chain's
 * phase is epoch_ns, an instant at which a second begins; periodic
 * interrupts are taps of that chain.  While updates run (divider running
 * and register B SET clear) the time is epoch_secs + whole seconds since
 * epoch_ns and the clock registers are computed on each read.  When
 * updates stop (SET, or the divider leaves 010) the current time is
 * frozen into the clock registers, which the guest then reads and
 * writes as plain bytes; when updates resume they are decoded again.
 * Leaving divider reset starts a new phase: the first update comes
 * 500 ms later (datasheet, register A).
 *
 * Interrupt flags (register C) are computed lazily: every access first
 * accounts for the periodic taps, updates and alarm matches between the
 * last accounted instant and now.  A callout is armed only for the next
 * event that could raise IRQF, and none while IRQF is already set.
 *
 * Documented choices: UIP is high for the 244 us before each update and
 * the update itself is instantaneous; DSE is stored but no daylight
 * saving adjustment is made; SQWE is stored (no square-wave pin); a time
 * that does not decode when updates resume is replaced by the time at
 * which they stopped (counted in bad_time); the day of week is always
 * derived from the date while updates run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vrtc.h"

#define	NS_PER_S	1000000000ll
#define	SECS_PER_DAY	86400ll
#define	DIV_HZ		32768		/* time base for DV = 010 */
#define	UIP_NS		244000ll	/* UIP before an update */

#define	RTC_SEC		0x00
#define	RTC_SEC_ALARM	0x01
#define	RTC_MIN		0x02
#define	RTC_MIN_ALARM	0x03
#define	RTC_HOUR	0x04
#define	RTC_HOUR_ALARM	0x05
#define	RTC_DOW		0x06
#define	RTC_DAY		0x07
#define	RTC_MONTH	0x08
#define	RTC_YEAR	0x09
#define	RTC_A		0x0a
#define	RTC_B		0x0b
#define	RTC_C		0x0c
#define	RTC_D		0x0d
#define	RTC_NVRAM	0x0e

#define	A_UIP		0x80
#define	A_DV_MASK	0x70
#define	A_DV_32K	0x20
#define	A_RS_MASK	0x0f
#define	B_SET		0x80
#define	B_PIE		0x40
#define	B_AIE		0x20
#define	B_UIE		0x10
#define	B_DM		0x04	/* 1 = binary */
#define	B_24H		0x02
#define	C_IRQF		0x80
#define	C_PF		0x40
#define	C_AF		0x20
#define	C_UF		0x10
#define	D_VRT		0x80
#define	HOUR_PM		0x80
#define	ALARM_ANY	0xc0	/* values >= 0xc0: don't care */

/* Supported calendar: years 0000-9999. */
#define	YEAR_MAX	9999

struct vrtc {
	struct vdev_clock clk;
	struct vdev_intr intr;
	struct vcallout	*callout;
	/* mtx protects everything below. */
	pthread_mutex_t	mtx;
	uint8_t		reg[VRTC_NREGS]; /* clock regs valid when halted */
	uint8_t		index;
	bool		nmi_disabled;
	int64_t		epoch_ns;	/* divider phase (DV running) */
	int64_t		epoch_secs;	/* time at epoch_ns (updating) */
	int64_t		halt_secs;	/* time when updates stopped */
	int64_t		last_ns;	/* flags accounted up to here */
	bool		irq;		/* IRQ 8 asserted */
	_Atomic uint64_t bad_time;	/* statistics */
	_Atomic uint64_t bad_access;
};

struct rtc_tm {
	int	sec, min, hour, dow, day, mon;
	int64_t	year;
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	return (a / b - (a % b < 0));
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return (a - floor_div(a, b) * b);
}

/* Calendar (proleptic Gregorian). */
static bool
is_leap(int64_t y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

static int
month_days(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return (m == 2 && is_leap(y) ? 29 : days[m - 1]);
}

/* Days from 0000-01-01 to y-01-01 (y >= 0; year 0 is a leap year). */
static int64_t
days_before_year(int64_t y)
{
	return (365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400);
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t days = days_before_year(y) - days_before_year(1970);
	int i;

	for (i = 1; i < m; i++)
		days += month_days(y, i);
	return (days + d - 1);
}

static int64_t secs_min(void);
static int64_t secs_max(void);

static void
secs_to_tm(int64_t secs, struct rtc_tm *tm)
{
	int64_t days, rem, y;

	/* Outside years 0000-9999 the clock sticks at the limit. */
	if (secs < secs_min())
		secs = secs_min();
	if (secs > secs_max())
		secs = secs_max();
	days = floor_div(secs, SECS_PER_DAY);
	rem = secs - days * SECS_PER_DAY;

	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem / 60 % 60);
	tm->sec = (int)(rem % 60);
	/* 1970-01-01 was a Thursday; register 6 counts Sunday = 1. */
	tm->dow = (int)floor_mod(days + 4, 7) + 1;
	y = 1970 + floor_div(days, 366);
	while (days_from_civil(y, 1, 1) > days)
		y--;
	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	tm->year = y;
	days -= days_from_civil(y, 1, 1);
	for (tm->mon = 1; days >= month_days(y, tm->mon); tm->mon++)
		days -= month_days(y, tm->mon);
	tm->day = (int)days + 1;
}

static int64_t
tm_to_secs(const struct rtc_tm *tm)
{
	return (days_from_civil(tm->year, tm->mon, tm->day) * SECS_PER_DAY +
	    tm->hour * 3600 + tm->min * 60 + tm->sec);
}

static int64_t
secs_min(void)
{
	return (days_from_civil(0, 1, 1) * SECS_PER_DAY);
}

static int64_t
secs_max(void)
{
	return (days_from_civil(YEAR_MAX + 1, 1, 1) * SECS_PER_DAY - 1);
}

/* Register encodings (register B DM and 24/12). */
static uint8_t
rtc_enc(const struct vrtc *rtc, int v)
{
	if ((rtc->reg[RTC_B] & B_DM) != 0)
		return ((uint8_t)v);
	return ((uint8_t)((v / 10) << 4 | v % 10));
}

static bool
rtc_dec(const struct vrtc *rtc, uint8_t raw, int *v)
{
	if ((rtc->reg[RTC_B] & B_DM) != 0) {
		*v = raw;
		return (true);
	}
	if ((raw & 0x0f) > 9 || (raw >> 4) > 9)
		return (false);
	*v = (raw >> 4) * 10 + (raw & 0x0f);
	return (true);
}

static uint8_t
rtc_enc_hour(const struct vrtc *rtc, int h)
{
	int h12;

	if ((rtc->reg[RTC_B] & B_24H) != 0)
		return (rtc_enc(rtc, h));
	h12 = h % 12 == 0 ? 12 : h % 12;
	return ((uint8_t)(rtc_enc(rtc, h12) | (h >= 12 ? HOUR_PM : 0)));
}

static bool
rtc_dec_hour(const struct vrtc *rtc, uint8_t raw, int *h)
{
	int h12;

	if ((rtc->reg[RTC_B] & B_24H) != 0)
		return (rtc_dec(rtc, raw, h) && *h < 24);
	if (!rtc_dec(rtc, raw & (uint8_t)~HOUR_PM, &h12) || h12 < 1 ||
	    h12 > 12)
		return (false);
	*h = h12 % 12 + ((raw & HOUR_PM) != 0 ? 12 : 0);
	return (true);
}

/* Clock registers 0, 2, 4, 6-9 and the century byte from a time. */
static void
secs_to_regs(const struct vrtc *rtc, int64_t secs, uint8_t *r)
{
	struct rtc_tm tm;

	secs_to_tm(secs, &tm);
	r[RTC_SEC] = rtc_enc(rtc, tm.sec);
	r[RTC_MIN] = rtc_enc(rtc, tm.min);
	r[RTC_HOUR] = rtc_enc_hour(rtc, tm.hour);
	r[RTC_DOW] = rtc_enc(rtc, tm.dow);
	r[RTC_DAY] = rtc_enc(rtc, tm.day);
	r[RTC_MONTH] = rtc_enc(rtc, tm.mon);
	r[RTC_YEAR] = rtc_enc(rtc, (int)(tm.year % 100));
	r[VRTC_CENTURY] = rtc_enc(rtc, (int)(tm.year / 100));
}

static bool
regs_to_secs(const struct vrtc *rtc, const uint8_t *r, int64_t *secs)
{
	struct rtc_tm tm;
	int yy, cc;

	if (!rtc_dec(rtc, r[RTC_SEC], &tm.sec) || tm.sec > 59 ||
	    !rtc_dec(rtc, r[RTC_MIN], &tm.min) || tm.min > 59 ||
	    !rtc_dec_hour(rtc, r[RTC_HOUR], &tm.hour) ||
	    !rtc_dec(rtc, r[RTC_MONTH], &tm.mon) || tm.mon < 1 ||
	    tm.mon > 12 || !rtc_dec(rtc, r[RTC_YEAR], &yy) || yy > 99)
		return (false);
	if (rtc_dec(rtc, r[VRTC_CENTURY], &cc) && cc <= 99)
		tm.year = cc * 100 + yy;
	else
		tm.year = yy < 70 ? 2000 + yy : 1900 + yy;
	if (!rtc_dec(rtc, r[RTC_DAY], &tm.day) || tm.day < 1 ||
	    tm.day > month_days(tm.year, tm.mon))
		return (false);
	*secs = tm_to_secs(&tm);
	return (true);
}

static bool
is_clock_reg(int i)
{
	return ((i <= RTC_YEAR && i != RTC_SEC_ALARM && i != RTC_MIN_ALARM &&
	    i != RTC_HOUR_ALARM) || i == VRTC_CENTURY);
}

static int64_t
rtc_now(struct vrtc *rtc)
{
	return ((int64_t)rtc->clk.now_ns(rtc->clk.arg));
}

static bool
dv_runs(const struct vrtc *rtc)
{
	return ((rtc->reg[RTC_A] & A_DV_MASK) == A_DV_32K);
}

static bool
updating(const struct vrtc *rtc)
{
	return (dv_runs(rtc) && (rtc->reg[RTC_B] & B_SET) == 0);
}

/* Whole seconds of the divider phase at t. */
static int64_t
phase_secs(const struct vrtc *rtc, int64_t t)
{
	return (floor_div(t - rtc->epoch_ns, NS_PER_S));
}

static int64_t
rtc_secs(const struct vrtc *rtc, int64_t now)
{
	int64_t s;

	if (updating(rtc))
		return (rtc->epoch_secs + phase_secs(rtc, now));
	if (regs_to_secs(rtc, rtc->reg, &s))
		return (s);
	return (rtc->halt_secs);
}

/* Periodic rate in divider clocks (register A RS, 32.768 kHz base). */
static int64_t
pf_period(const struct vrtc *rtc)
{
	int rs = rtc->reg[RTC_A] & A_RS_MASK;

	if (rs == 0 || !dv_runs(rtc))
		return (0);
	if (rs < 3)
		return (rs == 1 ? 128 : 256);
	return ((int64_t)1 << (rs - 1));
}

static int64_t
pf_count(const struct vrtc *rtc, int64_t t, int64_t p)
{
	__int128 x = (__int128)(t - rtc->epoch_ns) * DIV_HZ;
	__int128 d = (__int128)p * NS_PER_S;

	return ((int64_t)(x >= 0 ? x / d : -((-x + d - 1) / d)));
}

static int64_t
pf_time(const struct vrtc *rtc, int64_t k, int64_t p)
{
	__int128 x = (__int128)k * p * NS_PER_S;

	return (rtc->epoch_ns + (int64_t)((x + DIV_HZ - 1) / DIV_HZ));
}

/* Alarm: -1 for don't care, -2 for a value that never matches. */
static int
alarm_field(const struct vrtc *rtc, int reg, int max)
{
	uint8_t raw = rtc->reg[reg];
	int v;

	if (raw >= ALARM_ANY)
		return (-1);
	if (reg == RTC_HOUR_ALARM)
		return (rtc_dec_hour(rtc, raw, &v) ? v : -2);
	return (rtc_dec(rtc, raw, &v) && v <= max ? v : -2);
}

/* First time of day >= from matching the alarm, or -1. */
static int64_t
alarm_tod(int as, int am, int ah, int64_t from)
{
	int h, m, s;
	int64_t t;

	for (h = 0; h < 24; h++) {
		if (ah >= 0 && ah != h)
			continue;
		for (m = 0; m < 60; m++) {
			if (am >= 0 && am != m)
				continue;
			t = h * 3600 + m * 60;
			if (as >= 0) {
				if (t + as >= from)
					return (t + as);
				continue;
			}
			s = from > t ? (int)(from - t) : 0;
			if (s < 60)
				return (t + s);
		}
	}
	return (-1);
}

/* First second after `after` at which the alarm matches (INT64_MAX). */
static int64_t
alarm_next(const struct vrtc *rtc, int64_t after)
{
	int as, am, ah;
	int64_t s = after + 1, day, tod;

	as = alarm_field(rtc, RTC_SEC_ALARM, 59);
	am = alarm_field(rtc, RTC_MIN_ALARM, 59);
	ah = alarm_field(rtc, RTC_HOUR_ALARM, 23);
	if (as == -2 || am == -2 || ah == -2)
		return (INT64_MAX);
	day = floor_div(s, SECS_PER_DAY) * SECS_PER_DAY;
	tod = alarm_tod(as, am, ah, s - day);
	if (tod >= 0)
		return (day + tod);
	tod = alarm_tod(as, am, ah, 0);
	return (tod >= 0 ? day + SECS_PER_DAY + tod : INT64_MAX);
}

static void
rtc_set_irq(struct vrtc *rtc)
{
	uint8_t c = rtc->reg[RTC_C], b = rtc->reg[RTC_B];
	bool irqf;

	/* MC146818A: IRQF = PF.PIE + AF.AIE + UF.UIE. */
	irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
	    ((c & C_UF) && (b & B_UIE));
	rtc->reg[RTC_C] = irqf ? c | C_IRQF : c & (uint8_t)~C_IRQF;
	if (irqf == rtc->irq)
		return;
	rtc->irq = irqf;
	if (rtc->intr.isa != NULL)
		rtc->intr.isa(rtc->intr.arg, VRTC_IRQ, VRTC_IRQ,
		    irqf ? VDEV_IRQ_ASSERT : VDEV_IRQ_DEASSERT);
}

/* Account periodic taps, updates and alarms in (last_ns, now]. */
static void
rtc_process(struct vrtc *rtc, int64_t now)
{
	uint8_t flags = 0;
	int64_t p, s0, s1;

	if (now <= rtc->last_ns)
		return;
	p = pf_period(rtc);
	if (p != 0 && pf_count(rtc, now, p) > pf_count(rtc, rtc->last_ns, p))
		flags |= C_PF;
	if (updating(rtc)) {
		s0 = rtc_secs(rtc, rtc->last_ns);
		s1 = rtc_secs(rtc, now);
		if (s1 > s0)
			flags |= C_UF;
		if (s1 > s0 && alarm_next(rtc, s0) <= s1)
			flags |= C_AF;
	}
	rtc->last_ns = now;
	rtc->reg[RTC_C] |= flags;
	rtc_set_irq(rtc);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return (a < b ? a : b);
}

/* Arm the callout for the next event that could raise IRQF. */
static void
rtc_arm(struct vrtc *rtc, int64_t now)
{
	uint8_t b = rtc->reg[RTC_B];
	int64_t dl = INT64_MAX, p, s;

	if (rtc->callout == NULL)
		return;
	p = pf_period(rtc);
	if ((rtc->reg[RTC_C] & C_IRQF) == 0) {
		if ((b & B_PIE) != 0 && p != 0)
			dl = pf_time(rtc, pf_count(rtc, now, p) + 1, p);
		if ((b & B_UIE) != 0 && updating(rtc))
			dl = min64(dl, rtc->epoch_ns +
			    (phase_secs(rtc, now) + 1) * NS_PER_S);
		if ((b & B_AIE) != 0 && updating(rtc)) {
			s = alarm_next(rtc, rtc_secs(rtc, now));
			if (s != INT64_MAX)
				dl = min64(dl, rtc->epoch_ns +
				    (s - rtc->epoch_secs) * NS_PER_S);
		}
	}
	if (dl == INT64_MAX || dl < 0)
		vcallout_cancel(rtc->callout);
	else
		vcallout_reset(rtc->callout, (uint64_t)dl);
}

static void
rtc_callout(void *arg)
{
	struct vrtc *rtc = arg;
	int64_t now;

	pthread_mutex_lock(&rtc->mtx);
	now = rtc_now(rtc);
	rtc_process(rtc, now);
	rtc_arm(rtc, now);
	pthread_mutex_unlock(&rtc->mtx);
}

/* Updates stop: the clock registers now hold the time as bytes. */
static void
rtc_freeze(struct vrtc *rtc, int64_t now)
{
	rtc->halt_secs = rtc_secs(rtc, now);
	secs_to_regs(rtc, rtc->halt_secs, rtc->reg);
}

/* Updates resume from the clock registers, keeping the phase. */
static void
rtc_resume(struct vrtc *rtc, int64_t now)
{
	int64_t s;

	if (!regs_to_secs(rtc, rtc->reg, &s)) {
		rtc->bad_time++;
		s = rtc->halt_secs;
	}
	rtc->epoch_secs = s - phase_secs(rtc, now);
}

/* Registers A and B change together through here. */
static void
rtc_set_ab(struct vrtc *rtc, int64_t now, uint8_t a, uint8_t b)
{
	bool was_dv = dv_runs(rtc), was_upd = updating(rtc);

	rtc_process(rtc, now);
	/* MC146818A: setting SET clears UIE. */
	if ((b & B_SET) != 0 && (rtc->reg[RTC_B] & B_SET) == 0)
		b &= (uint8_t)~B_UIE;
	if (was_upd && !((a & A_DV_MASK) == A_DV_32K && (b & B_SET) == 0))
		rtc_freeze(rtc, now);
	rtc->reg[RTC_A] = a & (uint8_t)~A_UIP;
	rtc->reg[RTC_B] = b;
	/* Out of divider reset: the first update is 500 ms later. */
	if (!was_dv && dv_runs(rtc))
		rtc->epoch_ns = now - NS_PER_S / 2;
	if (!was_upd && updating(rtc))
		rtc_resume(rtc, now);
	rtc->last_ns = now;
	rtc_set_irq(rtc);
	rtc_arm(rtc, now);
}

static void
rtc_write_clock(struct vrtc *rtc, int64_t now, int idx, uint8_t v)
{
	uint8_t tmp[VRTC_NREGS];
	int64_t cur, s;

	if (!updating(rtc)) {
		rtc->reg[idx] = v;
		return;
	}
	if (idx == RTC_DOW)
		return;		/* derived from the date while running */
	rtc_process(rtc, now);
	cur = rtc_secs(rtc, now);
	secs_to_regs(rtc, cur, tmp);
	tmp[idx] = v;
	if (!regs_to_secs(rtc, tmp, &s)) {
		rtc->bad_time++;
		return;
	}
	rtc->epoch_secs += s - cur;
	rtc->last_ns = now;
	rtc_arm(rtc, now);
}

static uint8_t
rtc_read_a(const struct vrtc *rtc, int64_t now)
{
	uint8_t a = rtc->reg[RTC_A];

	if (updating(rtc) &&
	    floor_mod(now - rtc->epoch_ns, NS_PER_S) >= NS_PER_S - UIP_NS)
		a |= A_UIP;
	return (a);
}

/* A register read; `peek` leaves register C alone (userland). */
static uint8_t
rtc_read(struct vrtc *rtc, int64_t now, int idx, bool peek)
{
	uint8_t tmp[VRTC_NREGS], c;

	rtc_process(rtc, now);
	if (is_clock_reg(idx) && updating(rtc)) {
		secs_to_regs(rtc, rtc_secs(rtc, now), tmp);
		return (tmp[idx]);
	}
	switch (idx) {
	case RTC_A:
		return (rtc_read_a(rtc, now));
	case RTC_C:
		c = rtc->reg[RTC_C];
		if (!peek) {
			/* MC146818A: reading C clears all its flags. */
			rtc->reg[RTC_C] = 0;
			rtc_set_irq(rtc);
			rtc_arm(rtc, now);
		}
		return (c);
	case RTC_D:
		return (D_VRT);
	default:
		return (rtc->reg[idx]);
	}
}

static void
rtc_write(struct vrtc *rtc, int64_t now, int idx, uint8_t v)
{
	switch (idx) {
	case RTC_A:
		rtc_set_ab(rtc, now, v, rtc->reg[RTC_B]);
		return;
	case RTC_B:
		rtc_set_ab(rtc, now, rtc->reg[RTC_A], v);
		return;
	case RTC_C:
	case RTC_D:
		return;		/* read-only */
	default:
		break;
	}
	if (is_clock_reg(idx)) {
		rtc_write_clock(rtc, now, idx, v);
		return;
	}
	rtc_process(rtc, now);
	rtc->reg[idx] = v;
	/* Alarm registers move the next alarm. */
	rtc_arm(rtc, now);
}

int
vrtc_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
    uint32_t *val)
{
	struct vrtc *rtc = dev;

	if (bytes != 1 || (port != VRTC_INDEX_PORT && port != VRTC_DATA_PORT)) {
		rtc->bad_access++;
		return (-EINVAL);
	}
	pthread_mutex_lock(&rtc->mtx);
	if (port == VRTC_INDEX_PORT) {
		/* The index register is write-only. */
		if (in) {
			*val = 0xff;
		} else {
			rtc->index = (uint8_t)(*val & 0x7f);
			rtc->nmi_disabled = (*val & 0x80) != 0;
		}
	} else if (in) {
		*val = rtc_read(rtc, rtc_now(rtc), rtc->index, false);
	} else {
		rtc_write(rtc, rtc_now(rtc), rtc->index, (uint8_t)*val);
	}
	pthread_mutex_unlock(&rtc->mtx);
	return (0);
}

int
vrtc_nvram_read(struct vrtc *rtc, int offset, uint8_t *val)
{
	if (offset < 0 || offset >= VRTC_NREGS)
		return (-EINVAL);
	pthread_mutex_lock(&rtc->mtx);
	*val = rtc_read(rtc, rtc_now(rtc), offset, true);
	pthread_mutex_unlock(&rtc->mtx);
	return (0);
}

int
vrtc_nvram_write(struct vrtc *rtc, int offset, uint8_t val)
{
	if (offset < RTC_NVRAM || offset >= VRTC_NREGS ||
	    offset == VRTC_CENTURY)
		return (-EINVAL);
	pthread_mutex_lock(&rtc->mtx);
	rtc_write(rtc, rtc_now(rtc), offset, val);
	pthread_mutex_unlock(&rtc->mtx);
	return (0);
}

int
vrtc_set_time(struct vrtc *rtc, int64_t secs)
{
	int64_t now;

	if (secs < secs_min() || secs > secs_max())
		return (-EINVAL);
	pthread_mutex_lock(&rtc->mtx);
	now = rtc_now(rtc);
	rtc_process(rtc, now);
	if (updating(rtc)) {
		rtc->epoch_secs = secs - phase_secs(rtc, now);
	} else {
		rtc->halt_secs = secs;
		secs_to_regs(rtc, secs, rtc->reg);
	}
	rtc->last_ns = now;
	rtc_arm(rtc, now);
	pthread_mutex_unlock(&rtc->mtx);
	return (0);
}

int64_t
vrtc_get_time(struct vrtc *rtc)
{
	int64_t s;

	pthread_mutex_lock(&rtc->mtx);
	s = rtc_secs(rtc, rtc_now(rtc));
	pthread_mutex_unlock(&rtc->mtx);
	return (s);
}

bool
vrtc_nmi_disabled(struct vrtc *rtc)
{
	bool d;

	pthread_mutex_lock(&rtc->mtx);
	d = rtc->nmi_disabled;
	pthread_mutex_unlock(&rtc->mtx);
	return (d);
}

struct vrtc *
vrtc_create(const struct vdev_clock *clk, struct vcallout_wheel *w,
    const struct vdev_intr *intr)
{
	struct vrtc *rtc;

	if (clk == NULL || clk->now_ns == NULL)
		return (NULL);
	rtc = calloc(1, sizeof(*rtc));
	if (rtc == NULL)
		return (NULL);
	rtc->clk = *clk;
	if (intr != NULL)
		rtc->intr = *intr;
	if (w != NULL) {
		rtc->callout = vcallout_create(w, rtc_callout, rtc);
		if (rtc->callout == NULL) {
			free(rtc);
			return (NULL);
		}
	}
	pthread_mutex_init(&rtc->mtx, NULL);
	rtc->reg[RTC_A] = A_DV_32K;
	rtc->reg[RTC_B] = B_24H;
	rtc->reg[RTC_D] = D_VRT;
	rtc->epoch_ns = rtc_now(rtc);
	rtc->last_ns = rtc->epoch_ns;
	rtc->epoch_secs = 0;
	return (rtc);
}

void
vrtc_destroy(struct vrtc *rtc)
{
	if (rtc == NULL)
		return;
	vcallout_destroy(rtc->callout);
	pthread_mutex_destroy(&rtc->mtx);
	free(rtc);
}

/* Save/restore: the 128 bytes in 16 fields, times relative to now. */
int
vrtc_snapshot(struct vrtc *rtc, struct vdev_snap *s)
{
	char name[VDEV_SNAP_NAMELEN];
	uint64_t v;
	int64_t now;
	int i, k, err = 0;

	snprintf(s->dev, sizeof(s->dev), "vrtc");
	s->version = VRTC_SNAP_VERSION;
	pthread_mutex_lock(&rtc->mtx);
	now = rtc_now(rtc);
	for (i = 0; i < VRTC_NREGS / 8; i++) {
		for (v = 0, k = 0; k < 8; k++)
			v |= (uint64_t)rtc->reg[8 * i + k] << (8 * k);
		snprintf(name, sizeof(name), "reg.%d", i);
		err |= vdev_snap_put(s, name, v);
	}
	err |= vdev_snap_put(s, "index", rtc->index |
	    (rtc->nmi_disabled ? 0x80 : 0));
	err |= vdev_snap_put(s, "epoch_age", (uint64_t)(now - rtc->epoch_ns));
	err |= vdev_snap_put(s, "epoch_secs", (uint64_t)rtc->epoch_secs);
	err |= vdev_snap_put(s, "halt_secs", (uint64_t)rtc->halt_secs);
	err |= vdev_snap_put(s, "last_age", (uint64_t)(now - rtc->last_ns));
	pthread_mutex_unlock(&rtc->mtx);
	return (err != 0 ? -ENOSPC : 0);
}

int
vrtc_restore(struct vrtc *rtc, const struct vdev_snap *s)
{
	static const char *const names[5] = { "index", "epoch_age",
	    "epoch_secs", "halt_secs", "last_age" };
	char name[VDEV_SNAP_NAMELEN];
	uint64_t regs[VRTC_NREGS / 8], v[5];
	int64_t now;
	int i, k;

	if (strcmp(s->dev, "vrtc") != 0 || s->version != VRTC_SNAP_VERSION)
		return (-EINVAL);
	for (i = 0; i < VRTC_NREGS / 8; i++) {
		snprintf(name, sizeof(name), "reg.%d", i);
		if (vdev_snap_get(s, name, &regs[i]) != 0)
			return (-EINVAL);
	}
	for (i = 0; i < 5; i++)
		if (vdev_snap_get(s, names[i], &v[i]) != 0)
			return (-EINVAL);
	/* Times are clamped on use; refuse only what could overflow. */
	if ((int64_t)v[2] < -(1ll << 50) || (int64_t)v[2] > (1ll << 50) ||
	    (int64_t)v[3] < secs_min() || (int64_t)v[3] > secs_max() ||
	    (int64_t)v[1] < -(1ll << 62) || (int64_t)v[1] > (1ll << 62) ||
	    (int64_t)v[4] < -(1ll << 62) || (int64_t)v[4] > (1ll << 62))
		return (-EINVAL);
	pthread_mutex_lock(&rtc->mtx);
	now = rtc_now(rtc);
	for (i = 0; i < VRTC_NREGS / 8; i++)
		for (k = 0; k < 8; k++)
			rtc->reg[8 * i + k] = (uint8_t)(regs[i] >> (8 * k));
	rtc->reg[RTC_A] &= (uint8_t)~A_UIP;
	rtc->index = (uint8_t)(v[0] & 0x7f);
	rtc->nmi_disabled = (v[0] & 0x80) != 0;
	rtc->epoch_ns = now - (int64_t)v[1];
	rtc->epoch_secs = (int64_t)v[2];
	rtc->halt_secs = (int64_t)v[3];
	rtc->last_ns = now - (int64_t)v[4];
	/* The line state comes back silently: the interrupt controllers'
	 * own snapshots already count this device's assertion. */
	rtc->irq = (rtc->reg[RTC_C] & C_IRQF) != 0;
	rtc_arm(rtc, now);
	pthread_mutex_unlock(&rtc->mtx);
	return (0);
}
