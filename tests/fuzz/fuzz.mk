# SPDX-License-Identifier: BSD-2-Clause
#
# Fuzz harness build (tests/fuzz/run.sh runs it; not part of `make all`).
#
#   make -f tests/fuzz/fuzz.mk B=build FUZZ_ENGINE=libfuzzer|driver
#
# The code under test (every engine, libvmmapi and bhyve source but
# bhyverun.c) is compiled again with sanitizers into one archive under
# $(B)/tests/fuzz/obj/; each harness fuzz_*.c links against it.
#
# libfuzzer: clang -fsanitize=fuzzer,address,undefined.
# driver:    any compiler with ASan/UBSan; driver.c supplies main() and
#            feeds the harness files from argv or pseudo-random inputs.

B		?= build
FUZZ_ENGINE	?= libfuzzer
FB		:= $(B)/tests/fuzz

ifeq ($(FUZZ_ENGINE),libfuzzer)
FCC		?= clang
ENGINE_CFLAGS	:= -fsanitize=fuzzer-no-link
ENGINE_LDFLAGS	:= -fsanitize=fuzzer
DRIVER_OBJ	:=
else
FCC		?= cc
ENGINE_CFLAGS	:=
ENGINE_LDFLAGS	:=
DRIVER_OBJ	:= $(FB)/obj/tests/fuzz/driver.o
endif

SAN		:= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -fno-omit-frame-pointer
WARNS		:= -Wall -Wextra -Wno-unused-parameter -Wshadow \
		   -Wno-missing-field-initializers
# Code under test: warnings are the main build's business (gcc, -Werror);
# another compiler's opinions must not break the fuzz build.
LIB_CFLAGS	:= -O1 -g -std=gnu11 -I. -D_GNU_SOURCE -pthread -w \
		   -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		   $(SAN) $(ENGINE_CFLAGS)
HARNESS_CFLAGS	:= -O1 -g -std=gnu11 -I. -D_GNU_SOURCE -pthread \
		   $(WARNS) -Werror -Wmissing-prototypes $(SAN) $(ENGINE_CFLAGS)
LDFLAGS_F	:= $(SAN) $(ENGINE_LDFLAGS) -pthread
LDLIBS_F	:= -lm -lrt

LIB_SRCS	:= $(sort $(wildcard vmm/*.c vmm/x86/*.c vmm/io/*.c \
		   libvmmapi/*.c bhyve/*.c bhyve/amd64/*.c))
LIB_SRCS	:= $(filter-out bhyve/bhyverun.c,$(LIB_SRCS))
LIB_OBJS	:= $(patsubst %.c,$(FB)/obj/%.o,$(LIB_SRCS))
LIBFUZZ		:= $(FB)/libundertest.a

HARNESSES	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
BINS		:= $(patsubst tests/fuzz/%.c,$(FB)/%,$(HARNESSES))

.PHONY: all
.SECONDARY:
all: $(BINS)

$(FB)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FCC) $(HARNESS_CFLAGS) -MMD -MP -c -o $@ $<

$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(FCC) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBFUZZ): $(LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^

$(FB)/fuzz_%: $(FB)/obj/tests/fuzz/fuzz_%.o $(DRIVER_OBJ) $(LIBFUZZ)
	$(FCC) $(LDFLAGS_F) -o $@ $< $(DRIVER_OBJ) \
	    -Wl,--start-group $(LIBFUZZ) -Wl,--end-group $(LDLIBS_F)

-include $(shell find $(FB)/obj -name '*.d' 2>/dev/null)
