/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Save/restore tests: a whole-machine image whose record `id` is damaged
 * by `tweak` (an expression that may use `r`) must be refused with an
 * error naming `msg`.  The caller declares img, r and err (char[]) and
 * then checks that the devices kept their state.
 */
#ifndef _TESTS_UNIT_SNAP_FIXTURE_H_
#define _TESTS_UNIT_SNAP_FIXTURE_H_

#include <string.h>

#include "bhyve/snapshot.h"

#define	SNAP_REFUSED(id, tweak, msg) do {				\
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);\
	r = snap_image_find(img, id);					\
	assert_non_null(r);						\
	tweak;								\
	assert_true(snapshot_restore_image(img, err, sizeof(err)) < 0);	\
	if (strstr(err, msg) == NULL)					\
		fail_msg("\"%s\" lacks \"%s\"", err, msg);		\
	snap_image_free(img);						\
} while (0)

#endif /* _TESTS_UNIT_SNAP_FIXTURE_H_ */
