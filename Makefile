# wsnas: C11 benchmarking harness for weight-sharing NAS on NAS-Bench-201.
#   make        install missing Debian packages, build build/wsnas
#   make run    the main job (see README)
#   make test   every ISA branch compiles (check-isa), the test suite, again built
#               for AVX2 on AVX-512 hosts (build-avx2/), then under ASan+UBSan
#               (build-asan/); the last
#               line is "N passed, N failed, N skipped", skipped tests are listed with why
#   make bench  speed benchmarks (bench/)
#   make bench-compare   bench_engine beside bench/torch_engine.py (PyTorch) on every
#                        configuration (full, c16s16, c8s16, c4s16, small), with ratios
# Switches: DEBUG=1 (-O0 -g), SAN=1 (ASan+UBSan), NO_OMP=1, BUILD=dir, V=1 (show commands).

SHELL   := /bin/bash
BUILD   ?= build
CC      ?= cc
PKGS    := gsl libcjson zlib ompi-c
# BLIS (libblis-dev) has no .pc file: its headers sit in a per-threading-model
# directory; the library is the libblis.so alternative.
BLIS_INC = $(firstword $(wildcard /usr/include/x86_64-linux-gnu/blis-openmp \
             /usr/include/x86_64-linux-gnu/blis-pthread /usr/include/x86_64-linux-gnu/blis-serial \
             /usr/include/blis))
HDF5_PC  = $(shell pkg-config --exists hdf5-serial 2>/dev/null && echo hdf5-serial || echo hdf5)

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Werror=implicit-function-declaration -Werror
CFLAGS  ?= -O3 -march=native
CFLAGS  += -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) -MMD -MP -fno-fast-math
LDLIBS  := -lm
ifeq ($(DEBUG),1)
  CFLAGS := $(filter-out -O3,$(CFLAGS)) -O0 -g
endif
ifeq ($(SAN),1)
  CFLAGS  += -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
ifneq ($(NO_OMP),1)
  CFLAGS  += -fopenmp
  LDFLAGS += -fopenmp
endif

# Quiet build: one short line per step; V=1 prints the commands.
ifeq ($(V),1)
  Q :=
  say = @:
else
  Q := @
  say = @printf '  %-5s %s\n'
endif

DEPS_OK := $(BUILD)/.deps-ok
PC_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(HDF5_PC) 2>/dev/null) $(if $(BLIS_INC),-isystem $(BLIS_INC))
PC_LIBS   = $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS) $(HDF5_PC) 2>/dev/null)) -lblis

LIB_SRC  := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libwsnas.a
BIN      := $(BUILD)/wsnas
TESTBIN  := $(BUILD)/wsnas-tests

.PHONY: check-isa test-avx2 all deps run test test-fast test-asan bench clean
all: $(BIN)

# Installs what is missing (apt-get, only missing packages), once per build dir.
$(DEPS_OK): .ci/install-deps
	@bash .ci/install-deps
	@mkdir -p $(@D) && touch $@
deps: $(DEPS_OK)
# What the tests need besides (python3, python3-torch, h5py, pandas), once per build dir.
TEST_DEPS_OK := $(BUILD)/.test-deps-ok
$(TEST_DEPS_OK): .ci/install-deps
	@bash .ci/install-deps --tests
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) $(PC_CFLAGS) -c $< -o $@

# Criterion's macros define functions without prototypes.
$(BUILD)/tests/%.o: tests/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes $(PC_CFLAGS) -c $< -o $@

# `wsnas --version`: git describe and the flags, rewritten only when they change.
GIT_DESCRIBE := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)
.PHONY: FORCE
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define WS_GIT_DESCRIBE "%s"\n#define WS_BUILD_CC "%s"\n#define WS_BUILD_CFLAGS "%s"\n#define WS_BUILD_LDFLAGS "%s"\n' \
	  '$(GIT_DESCRIBE)' '$(CC)' '$(CFLAGS)' '$(LDFLAGS) $(LDLIBS)' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(BUILD)/src/cli/main.o: $(BUILD)/version.h
$(BUILD)/src/cli/main.o: PC_CFLAGS += -I$(BUILD)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(say) AR $@
	$(Q)ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) $(CLI_OBJ) $(LIB) $(PC_LIBS) $(LDLIBS) -o $@

$(TESTBIN): $(TEST_OBJ) $(LIB) $(BIN)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) $(TEST_OBJ) $(LIB) $(PC_LIBS) -lcriterion $(LDLIBS) -o $@

# Fast pass: the suite in the normal build.  Tests find the binary, the
# fixtures and ../shared through environment variables.
# Python for the tool tests: Debian's interpreter (its python3-* packages), else python3.
PYTHON  ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)
TEST_ENV = OMP_WAIT_POLICY=passive WSNAS_BIN=$(abspath $(BIN)) WSNAS_FIXTURES=$(abspath tests/fixtures) \
           WSNAS_SHARED=$(abspath ../shared) WSNAS_TMP=$(abspath $(BUILD)/tmp) \
           WSNAS_ROOT=$(abspath .) WSNAS_PYTHON=$(PYTHON)
# Each pass writes its TAP log and ends with what it skipped and why and one
# line "PASS: N passed, N failed, N skipped" (tests/tap-summary.sh).
PASS    ?= normal
test-fast: $(TESTBIN) $(TEST_DEPS_OK)
	@mkdir -p $(BUILD)/tmp
	@rm -f $(BUILD)/tests.tap
	$(Q)$(TEST_ENV) $(TESTBIN) -j2 --tap=$(BUILD)/tests.tap $(TESTARGS); st=$$?; \
	  bash tests/tap-summary.sh $(PASS) $(BUILD)/tests.tap; exit $$st

test-asan: $(DEPS_OK)
	$(Q)CFLAGS="-O1 -march=native" $(MAKE) --no-print-directory BUILD=build-asan SAN=1 PASS=asan test-fast

# Every ISA branch of the kernels compiles, whatever this host has: the host
# builds only its own (#ifdef __AVX512F__ / __AVX2__), so a mistake in the
# other branch would pass here and break the build on the next machine (as
# f8fc8a3 did).  Each library source is compiled (-O0, to /dev/null) for the
# scalar (x86-64-v2), AVX2+FMA (x86-64-v3) and AVX-512 (x86-64-v4) levels.
ISA_LEVELS := x86-64-v2 x86-64-v3 x86-64-v4
ISA_CFLAGS  = $(filter-out -O% -march=% -MMD -MP,$(CFLAGS)) -O0 $(PC_CFLAGS)
check-isa: $(DEPS_OK)
	$(say) ISA "$(ISA_LEVELS)"
	$(Q)for m in $(ISA_LEVELS); do printf '%s\n' $(LIB_SRC) | sed "s/^/$$m /"; done | \
	  xargs -P2 -n2 sh -c '$(CC) $(ISA_CFLAGS) -march="$$0" -c "$$1" -o /dev/null || \
	    { echo "check-isa: $$1 does not compile for -march=$$0" >&2; exit 255; }'

# On a host with AVX-512 the suite also runs built for x86-64-v3 (AVX2 + FMA,
# build-avx2/), so both kernel branches are checked against the fixtures here;
# an AVX2-only host runs its own branch and can only compile the other
# (check-isa).
HOST_AVX512 := $(shell $(CC) -march=native -dM -E - </dev/null 2>/dev/null | grep -c '__AVX512F__ ')
test-avx2: $(DEPS_OK)
ifeq ($(HOST_AVX512),1)
	$(Q)CFLAGS="-O3 -march=x86-64-v3" $(MAKE) --no-print-directory BUILD=build-avx2 PASS=avx2 test-fast
else
	@rm -f build-avx2/tests.tap
	@echo "avx2: not run: this host has no AVX-512, so its own build above is the AVX2 branch"
endif

# The suite in the normal build, the AVX2 build (AVX-512 hosts), then under
# ASan+UBSan; the last line counts every pass.
test: check-isa test-fast test-avx2 test-asan
	@bash tests/tap-summary.sh --total $(BUILD)/tests.tap $(wildcard build-avx2/tests.tap) build-asan/tests.tap

run: $(BIN)
	$(BIN) bench bench/default.json

clean:
	rm -rf build build-asan build-avx2

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

# Speed benchmarks: every bench/X.c is a program $(BUILD)/bench/X linked with
# the library; `make bench` builds and runs them all.
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: bench/%.c $(LIB) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) $(PC_CFLAGS) $< $(LIB) $(LDFLAGS) $(PC_LIBS) $(LDLIBS) -o $@
# bench_report writes its synthetic runs with the tests' run writer.
$(BUILD)/bench/bench_report: bench/bench_report.c tests/robust_util.c tests/fixture.c $(LIB) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes $(PC_CFLAGS) $(filter %.c,$^) $(LIB) $(LDFLAGS) $(PC_LIBS) $(LDLIBS) -o $@
bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; GOMP_SPINCOUNT=1000 $$b || exit 1; done
# The engine side by side with PyTorch (Debian's python3-torch), with ratios.
.PHONY: bench-compare
bench-compare: $(BENCH_BIN)
	@bash .ci/install-deps python3-torch libtcmalloc-minimal4
	GOMP_SPINCOUNT=1000 /usr/bin/python3 bench/compare_engine.py --threads 2 --steps 20 --score full
# The NB201 v1.1 ground-truth table from ../shared (wsnas table import --preset nb201).
.PHONY: nb201-table
nb201-table: $(BIN)
	$(BIN) table import --preset nb201 ../shared/nb201/nb201_merged.csv -o $(BUILD)/nb201.h5
