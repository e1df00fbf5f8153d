# rydeflow - build, test, bench, demo.
#
#   make              build every program into bin/
#   make test         install what is missing, build (plain and sanitized), run every test
#   make bench        measure against the peers (kcat, raw librdkafka, ...)
#   make demo         run the whole pipeline locally
#   make BUILD=asan   build with AddressSanitizer + UBSan into build/asan/bin/
#
# Each BUILD has its own object and binary directories, so the plain and the
# sanitized builds live side by side.

BUILD ?= release
CC ?= cc
PKGS := rdkafka libevent libevent_pthreads jansson libcurl libssl libcrypto hiredis libpq libdeflate

BASE_CFLAGS := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers \
               -D_GNU_SOURCE -g -Icommon -Isqlcore $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lrdkafka -levent -levent_pthreads -ljansson -lcurl -lssl -lcrypto -lhiredis -lpq -ldeflate) -lwslay \
          -lpthread -lm -lz

ifeq ($(BUILD),asan)
  OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  BINDIR := build/asan/bin
else ifeq ($(BUILD),release)
  OPT := -O2
  BINDIR := bin
else
  $(error BUILD must be release or asan)
endif
OBJDIR := build/$(BUILD)/obj
CFLAGS := $(BASE_CFLAGS) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT)

objs_of = $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard $(1)/*.c))

# The shared library: common code (common/) and the SQL module (sqlcore/).
# Each program is one folder; it sees its own headers and the library's,
# never another program's. Unit tests see every program's headers.
COMMON_SRC := $(wildcard common/*.c) $(wildcard sqlcore/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJDIR)/%.o)
COMMON_LIB := $(OBJDIR)/librydeflow.a

PRODUCER_SRC := $(wildcard producer/*.c)
CONSUMER_SRC := $(wildcard consumer/*.c)
DEVBROKER_SRC := $(wildcard devbroker/*.c)
PROCESSOR_SRC := $(wildcard processor/*.c)
SINK_SRC := $(wildcard sink/*.c)
DASHBOARD_SRC := $(wildcard dashboard/*.c)

PROGRAMS := producer consumer devbroker sql processor sink dashboard
BINS := $(PROGRAMS:%=$(BINDIR)/%)
$(foreach p,$(PROGRAMS),$(eval $(OBJDIR)/$(p)/%.o: CFLAGS += -I$(p)))
$(OBJDIR)/tests/%.o: CFLAGS += $(PROGRAMS:%=-I%)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BINDIR)/tests/%)
# Unit tests link the program modules they test, minus the programs' main.c.
SQLCLI_SRC := $(wildcard sql/*.c)
UNIT_EXTRA_OBJ := $(filter-out %/main.o,$(PRODUCER_SRC:%.c=$(OBJDIR)/%.o) $(CONSUMER_SRC:%.c=$(OBJDIR)/%.o) \
                  $(DEVBROKER_SRC:%.c=$(OBJDIR)/%.o) $(SQLCLI_SRC:%.c=$(OBJDIR)/%.o) \
                  $(PROCESSOR_SRC:%.c=$(OBJDIR)/%.o) $(SINK_SRC:%.c=$(OBJDIR)/%.o) \
                  $(DASHBOARD_SRC:%.c=$(OBJDIR)/%.o))

BENCH_BINS := $(BINDIR)/bench/rawcount $(BINDIR)/bench/decode $(BINDIR)/bench/wsload

.PHONY: all programs unit clean test test-unit setup bench bench-tools demo asan fuzz help
all: programs unit
programs: $(BINS)
unit: $(UNIT_BINS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# A program is every .c file in its folder plus the common library.
.SECONDEXPANSION:
$(BINS): $(BINDIR)/%: $$(call objs_of,$$*) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-tools: $(BENCH_BINS)
$(BINDIR)/bench/%: $(OBJDIR)/bench/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_BINS): $(BINDIR)/tests/%: $(OBJDIR)/tests/unit/%.o $(UNIT_EXTRA_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

asan:
	$(MAKE) BUILD=asan all

setup:
	scripts/setup.sh

test: setup
	$(MAKE) all
	$(MAKE) BUILD=asan all
	tests/run.sh

test-unit: all
	tests/run.sh --unit-only

fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: setup all bench-tools
	bench/run.sh

demo: setup all
	scripts/demo.sh

clean:
	rm -rf build bin

help:
	@sed -n '1,12p' Makefile

-include $(shell find build -name '*.d' 2>/dev/null)
