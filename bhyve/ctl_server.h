/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve's side of bhyvectl: the control socket of a running VM, and the
 * hand-over from bhyveload (a persistent VM, libvmmapi/vmmapi_persist.c).
 *
 * Control protocol (version 1): one request per connection on the UNIX
 * stream socket STATE_ROOT/NAME.sock (mode 0600 in a 0700 directory):
 * one line of blank-separated words, answered by "ok [values]" or
 * "err ERRNO", possibly followed by more lines (stats), then EOF.
 *   getreg V R | setreg V R VAL | getdesc V R | setdesc V R BASE LIM ACC
 *   stats V | nmi V | getcap V CAP | setcap V CAP VAL | x2apic V
 *   suspend HOW | destroy | rtcget | rtcset SECS | topology | memmap
 *   cpus active|suspended|debug | version
 * V is a vCPU id, R a VM_REG_GUEST_* number, HOW a VM_SUSPEND_* number.
 * Requests are parsed fully and bounds-checked before anything is done.
 */
#ifndef _BHYVE_CTL_SERVER_H_
#define _BHYVE_CTL_SERVER_H_

#include <stdbool.h>
#include <stddef.h>

struct vmctx;
struct vcpu;

#define	CTL_PROTO_VERSION	1
#define	CTL_MAXLINE		256

/*
 * After the VM is opened: a VM left by bhyveload must be run with the
 * memory size it was loaded with.  0, or -1 with the reason printed.
 */
int	bhyve_loaded_check(struct vmctx *ctx);
/*
 * Instead of loading a kernel: give vCPU 0 the registers bhyveload
 * saved and mark them used.  1 done, 0 nothing saved, -1 error (printed).
 */
int	bhyve_loaded_restore(struct vmctx *ctx, struct vcpu *bsp);

/*
 * Serve the control socket on the event loop (mevent_init() done).
 * Never fatal: without a socket (another live bhyve of the same name,
 * a path too long) the VM simply runs without one.
 */
void	ctl_server_start(struct vmctx *ctx, struct vcpu **vcpu, int ncpus);
void	ctl_server_stop(void);
/* bhyvectl --destroy asked for the VM to go away on exit. */
bool	ctl_server_destroy_requested(void);

/*
 * The request handler, apart from the socket (unit tests): writes the
 * reply for `req` into out[outlen] and returns its length.
 */
size_t	ctl_handle_request(struct vmctx *ctx, struct vcpu **vcpu, int ncpus,
	    const char *req, char *out, size_t outlen);

/* STATE_ROOT/NAME.sock for bhyvectl; -1 if it does not fit. */
int	ctl_socket_path(const char *name, char *buf, size_t len);

#endif /* _BHYVE_CTL_SERVER_H_ */
