# SPDX-License-Identifier: MIT
# The README's commands. Everything else is plain CMake.
#   make demo    the main job: a BLE demo over blesim (installs what it needs)
#   make test    build with ASan+UBSan and run every test (what CI runs)
#   make fuzz    libFuzzer targets, a short run each (part of make test)
#   make release -Os build for size work

BUILD      ?= build
JOBS       ?= 2
ASAN_DIR   := $(BUILD)/asan
REL_DIR    := $(BUILD)/release
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_SECONDS ?= 15

.PHONY: all deps test unit fuzz configs demo release size clean

all: test

deps:
	@scripts/deps.sh

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBH_SANITIZE=ON

test: unit configs release fuzz

# Tests that run processes against blesim in real time (link timing, timeouts)
# run one at a time, so CPU load from parallel tests cannot disturb their
# timing; the rest run in parallel.
REALTIME_LABELS := multi|e2e|bench|demo|blesim|python|integration

unit: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) -LE '$(REALTIME_LABELS)'
	cd $(ASAN_DIR) && ctest --output-on-failure -L '$(REALTIME_LABELS)'

$(FUZZ_DIR)/build.ninja:
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_C_COMPILER=clang -DBH_FUZZ=ON \
	      -DBH_BUILD_TOOLS=ON -DCMAKE_BUILD_TYPE=Debug

fuzz: deps
	@scripts/deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The core library in the minimal and maximal configurations (CI builds both).
configs: deps
	for c in minimal maximal embedded; do \
	    cmake -S . -B $(BUILD)/cfg-$$c -G Ninja -DBH_BUILD_TESTS=OFF -DBH_BUILD_TOOLS=OFF \
	          -DBH_CONFIG_USER_FILE=$(CURDIR)/tests/configs/$$c.h >/dev/null && \
	    cmake --build $(BUILD)/cfg-$$c -j $(JOBS) --target blehost || exit 1; \
	done

# Text and static RAM of the core library for Cortex-M0+ at -Os, summed
# over its objects (what DESIGN.md's budget is about).
size:
	@scripts/deps.sh gcc-arm-none-eabi libnewlib-arm-none-eabi
	cmake -S . -B $(BUILD)/m0 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
	      -DCMAKE_BUILD_TYPE=MinSizeRel -DBH_BUILD_TESTS=OFF -DBH_BUILD_TOOLS=OFF \
	      -DBH_CRYPTO=builtin >/dev/null
	cmake --build $(BUILD)/m0 -j $(JOBS) --target blehost
	@echo "default configuration (text data bss):"
	@arm-none-eabi-size -t $(BUILD)/m0/libblehost.a | tail -1
	cmake -S . -B $(BUILD)/m0-emb -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
	      -DCMAKE_BUILD_TYPE=MinSizeRel -DBH_BUILD_TESTS=OFF -DBH_BUILD_TOOLS=OFF \
	      -DBH_CRYPTO=builtin -DBH_CONFIG_USER_FILE=$(CURDIR)/tests/configs/embedded.h >/dev/null
	cmake --build $(BUILD)/m0-emb -j $(JOBS) --target blehost
	@echo "embedded profile, tests/configs/embedded.h (text data bss):"
	@arm-none-eabi-size -t $(BUILD)/m0-emb/libblehost.a | tail -1

release: deps
	cmake -S . -B $(REL_DIR) -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel
	cmake --build $(REL_DIR) -j $(JOBS)

# Builds only what the demo runs; scripts/demo.sh says what it does.
demo: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS) --target blesim hci_info bluetooth_py
	scripts/demo.sh $(ASAN_DIR)

clean:
	rm -rf $(BUILD)
