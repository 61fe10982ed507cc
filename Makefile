# Thin front end to meson.  Every target installs what it needs first
# (scripts/deps.sh is silent when everything is there) and configures its
# build directory once.
BUILD      ?= build
SAN_BUILD  ?= build-sanitize
TSAN_BUILD ?= build-tsan
MESON      ?= meson
TEST_ARGS  ?= --print-errorlogs --num-processes 2

.PHONY: all deps run check check-sanitize check-tsan check-qemu bench bench-qemu docs clean

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	@scripts/deps.sh build
	$(MESON) setup $(BUILD)

$(SAN_BUILD)/build.ninja:
	@scripts/deps.sh build
	$(MESON) setup $(SAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debug -Doptimization=1

$(TSAN_BUILD)/build.ninja:
	@scripts/deps.sh build
	$(MESON) setup $(TSAN_BUILD) -Db_sanitize=thread -Db_lundef=false \
	    -Dbuildtype=debug -Doptimization=1

run: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	$(BUILD)/examples/qemuutil-demo

check: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	$(MESON) test -C $(BUILD) $(TEST_ARGS) --no-suite slow

check-sanitize: $(SAN_BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(MESON) test -C $(SAN_BUILD) $(TEST_ARGS) --no-suite slow

# ThreadSanitizer over the unit suite (every threaded test lives there).
# tests/tsan.supp lists the reports TSan cannot avoid, each with its reason.
check-tsan: $(TSAN_BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(TSAN_BUILD)
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	    $(MESON) test -C $(TSAN_BUILD) $(TEST_ARGS) --suite unit --timeout-multiplier 3

# Drop-in proof: swap our files into QEMU 10.0.13, build, run QEMU's unit
# suite and qemu-img/qemu-io/qemu-nbd workloads (docs/qemu-swap.rst).
# QEMU_SWAP_ARGS, e.g. "--groups threads,timers", selects part of the set.
check-qemu:
	scripts/qemu-swap.sh $(QEMU_SWAP_ARGS)

# qemu-img bench on the original and the swapped QEMU tree, with ratios.
bench-qemu:
	scripts/qemu-swap.sh --bench $(QEMU_SWAP_ARGS)

bench: $(BUILD)/build.ninja
	@scripts/deps.sh bench
	$(MESON) configure $(BUILD) -Dbench_peers=enabled >/dev/null
	$(MESON) compile -C $(BUILD)
	$(BUILD)/bench/qemuutil-bench

docs:
	@scripts/deps.sh docs
	sphinx-build -W -q -b html docs $(BUILD)/docs/html
	@echo "docs: $(BUILD)/docs/html/index.html"

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
