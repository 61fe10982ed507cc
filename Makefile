# Thin front end to meson.  Every target installs what it needs first
# (scripts/deps.sh is silent when everything is there) and configures its
# build directory once.
BUILD      ?= build
SAN_BUILD  ?= build-sanitize
TSAN_BUILD ?= build-tsan
VALGRIND_BUILD ?= build-valgrind
MESON      ?= meson
TEST_ARGS  ?= --print-errorlogs --num-processes 2

.PHONY: all deps run check check-sanitize check-tsan check-qemu bench bench-qemu \
        bench-vmm bench-python docs clean fuzz check-valgrind check-slow \
        check-stress stress

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

# Boot vmm-mini's self-test guest (docs/vmm-mini.rst); without a usable
# /dev/kvm, say why and show the threads demo instead.
run: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	@if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then \
	    echo "== vmm-mini: booting the self-test guest (serial output below)"; \
	    $(BUILD)/vmm-mini/vmm-mini --stats --timeout=30 \
	        $(BUILD)/vmm-mini/selftest.bin; \
	else \
	    echo "== /dev/kvm is missing or not accessible: vmm-mini cannot boot" \
	         "its guest here; running examples/qemuutil-demo instead"; \
	    $(BUILD)/examples/qemuutil-demo; \
	fi

# Round trips of doorbell -> main loop -> irqfd -> guest ISR, against the
# vCPU-thread exit path, a plain eventfd thread and a raw exit.
# VMM_BENCH_ARGS: "RUNS ROUND_TRIPS" (default 7 5000).
VMM_BENCH_ARGS ?= 7 5000
bench-vmm: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	$(BUILD)/vmm-mini/vmm-bench $(VMM_BENCH_ARGS)

# Python callback throughput: qemuutil via SWIG and GI against asyncio and
# GLib (bench/python/bench_callbacks.py; docs/bindings.rst).
BENCH_PY_ARGS ?=
bench-python: $(BUILD)/build.ninja
	@scripts/deps.sh build bindings
	$(MESON) compile -C $(BUILD)
	PYTHONPATH=$(BUILD)/bindings/python \
	LD_LIBRARY_PATH=$(BUILD)/bindings/ffi:$(BUILD)/bindings/gobject \
	GI_TYPELIB_PATH=$(BUILD)/bindings/gobject \
	    /usr/bin/python3 bench/python/bench_callbacks.py $(BENCH_PY_ARGS)

check: $(BUILD)/build.ninja
	@scripts/deps.sh build bindings
	$(MESON) compile -C $(BUILD)
	$(MESON) test -C $(BUILD) $(TEST_ARGS) --no-suite slow

check-sanitize: $(SAN_BUILD)/build.ninja
	@scripts/deps.sh build bindings
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

# Valgrind memcheck over the unit suite (C programs; the Python tests are a
# separate step below), in its own build directory so that the valgrind
# header is seen at configure time (coroutine stack registration, and
# io_uring left out: see util/fdmon-io_uring.c).  --fair-sched makes the
# spinning stress tests finish; tests/valgrind.supp lists the reports
# valgrind cannot see through, each with its reason.  docs/reliability.rst.
VALGRIND ?= valgrind --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --fair-sched=yes --suppressions=$(CURDIR)/tests/valgrind.supp
$(VALGRIND_BUILD)/build.ninja:
	@scripts/deps.sh build valgrind
	$(MESON) setup $(VALGRIND_BUILD)

check-valgrind: $(VALGRIND_BUILD)/build.ninja
	@scripts/deps.sh build bindings valgrind
	$(MESON) compile -C $(VALGRIND_BUILD)
	$(MESON) test -C $(VALGRIND_BUILD) $(TEST_ARGS) --suite unit \
	    --no-suite python --timeout-multiplier 10 --wrapper '$(VALGRIND)'
	$(MESON) test -C $(VALGRIND_BUILD) $(TEST_ARGS) --suite python \
	    --no-suite kvm --timeout-multiplier 20 --wrapper '$(VALGRIND)'

# The 'slow' suite: the stress test for a minute (QEMUUTIL_STRESS_SECONDS
# in tests/unit/meson.build).
check-slow: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	$(MESON) test -C $(BUILD) $(TEST_ARGS) --suite slow

# The stress test for DURATION seconds: a minute by default (check-stress),
# hours on demand, e.g. `make stress DURATION=14400`.
DURATION ?= 60
check-stress stress: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD)
	QEMUUTIL_STRESS_SECONDS=$(DURATION) \
	    $(BUILD)/tests/unit/test-stress-long --tap -k

# Drop-in proof: swap our files into QEMU 10.0.13, build, run QEMU's unit
# suite and qemu-img/qemu-io/qemu-nbd workloads (docs/qemu-swap.rst).
# QEMU_SWAP_ARGS, e.g. "--groups threads,timers", selects part of the set.
check-qemu:
	scripts/qemu-swap.sh $(QEMU_SWAP_ARGS)

# qemu-img bench on the original and the swapped QEMU tree, with ratios.
bench-qemu:
	scripts/qemu-swap.sh --bench $(QEMU_SWAP_ARGS)

# The QEMU column comes from the same bench sources linked against QEMU
# 10.0.13's original libqemuutil.a (scripts/bench-qemu-ref.sh); without it
# the table still runs, and says why the column is missing.
BENCH_REF  ?= $(BUILD)/bench/qemuutil-bench-qemu-ref
BENCH_ARGS ?=

bench: $(BUILD)/build.ninja
	@scripts/deps.sh bench
	$(MESON) configure $(BUILD) -Dbench_peers=enabled >/dev/null
	$(MESON) compile -C $(BUILD)
	@if scripts/bench-qemu-ref.sh $(BENCH_REF) >$(BUILD)/bench/qemu-ref.log 2>&1; then \
	    peer="--peer-exe qemu=$(BENCH_REF)"; \
	else \
	    tail -n 5 $(BUILD)/bench/qemu-ref.log; \
	    echo "bench: no QEMU column: the reference build failed" \
	         "(log: $(BUILD)/bench/qemu-ref.log)"; \
	    peer=; \
	fi; \
	$(BUILD)/bench/qemuutil-bench $$peer $(BENCH_ARGS)

# libFuzzer over the qtest-lite protocol engine and vmm-mini's device
# registers (docs/qtest-lite.rst); needs clang.  FUZZ_ARGS: libFuzzer
# options, default one minute per target.  Crashes land in
# $(BUILD)/tests/qtest-lite/<target>-corpus/.
FUZZ_ARGS ?= -max_total_time=60
fuzz: $(BUILD)/build.ninja
	@scripts/deps.sh build
	$(MESON) compile -C $(BUILD) tests/qtest-lite/fuzz-qtest-proto \
	    tests/qtest-lite/fuzz-device-regs
	@for f in qtest-proto device-regs; do \
	    tests/qtest-lite/run-fuzzer.sh $(BUILD)/tests/qtest-lite/fuzz-$$f \
	        tests/qtest-lite/corpus/$$f \
	        $(BUILD)/tests/qtest-lite/fuzz-$$f-corpus $(FUZZ_ARGS) || exit 1; \
	done

docs:
	@scripts/deps.sh docs
	sphinx-build -W -q -b html docs $(BUILD)/docs/html
	@echo "docs: $(BUILD)/docs/html/index.html"

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
