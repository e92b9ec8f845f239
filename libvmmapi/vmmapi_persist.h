/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmmapi-internal: the on-disk side of persistent VMs, used by
 * vmmapi.c's lifecycle and memory functions.  0 or a negative errno.
 */
#ifndef _LIBVMMAPI_VMMAPI_PERSIST_H_
#define _LIBVMMAPI_VMMAPI_PERSIST_H_

#include <stddef.h>

/* mkdir the VM's directory and write an empty state file (-EEXIST). */
int	vmp_create(const char *name);
/* Remove the directory and everything in it (-ENOENT if none). */
int	vmp_remove(const char *name);
/*
 * The sysmem file, created with `len` bytes or checked to have exactly
 * that size (-EINVAL otherwise); the size is recorded in the state file.
 * Returns an fd the caller closes.
 */
int	vmp_sysmem_fd(const char *name, size_t len, int memflags);

#endif /* _LIBVMMAPI_VMMAPI_PERSIST_H_ */
