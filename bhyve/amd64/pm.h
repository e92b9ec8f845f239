/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Power management and reset ports of the PC platform, as FreeBSD's
 * usr.sbin/bhyve/pm.c (rtc.c and atkbdc.c for the RTC and the 8042):
 *
 * - 0xCF9, the ICH Reset Control register (RST_CNT);
 * - the ACPI PM1a event block at 0x400 (PM1_STS, PM1_EN) and control
 *   block at 0x404 (PM1_CNT), with the SCI on IRQ 9 (bhyve/acpi.h);
 * - the power button, pressed by SIGTERM.
 *
 * Guest resets and power-off reach vm_suspend(RESET / POWEROFF), so
 * every vCPU leaves vm_run() and bhyve exits 0 or 1.
 */
#ifndef _BHYVE_AMD64_PM_H_
#define _BHYVE_AMD64_PM_H_

#include <stdint.h>

struct vmctx;

/* Register the ports; 0 or -1 with a message printed. */
int	pm_init(struct vmctx *ctx);
void	pm_fini(void);

/*
 * The power button (bhyve(8): SIGTERM).  An ACPI guest that enabled the
 * power button event (PM1_EN.PWRBTN_EN) gets PWRBTN_STS and an SCI and
 * shuts down itself; otherwise (no ACPI OS listening) the machine is
 * powered off at once, as a PC's button does without an ACPI OS.
 */
void	pm_power_button(void);

/* For tests: the PM1 registers. */
uint16_t pm_pm1_status(void);
uint16_t pm_pm1_enable(void);

#endif /* _BHYVE_AMD64_PM_H_ */
