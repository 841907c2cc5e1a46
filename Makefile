# rsgate: the two commands anyone needs.
#   make demo    install missing build dependencies, build, run the demo
#   make check   install missing build dependencies, build, run every test,
#                then every test again under AddressSanitizer + UBSan
# Other targets: build, test, asan, fuzz, bench, format, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# CI sets CI=true: warnings become errors there.
WERROR     := $(if $(CI),ON,OFF)
CMAKE_ARGS ?=

.PHONY: all deps build test asan check demo fuzz bench format clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DRSG_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DRSG_SANITIZE=ON -DRSG_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

check: test asan

demo: build
	sh scripts/demo.sh $(BUILD)

# Real libFuzzer binaries (clang); run one with e.g.
#   build-fuzz/fuzz-audit-record tests/fuzz/corpus/audit-record -max_total_time=60
fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DRSG_FUZZ=ON -DRSG_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

bench: build
	$(BUILD)/bench/audit
	$(BUILD)/bench/tunnel

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
