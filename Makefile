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

# Text and static RAM of the core library for Cortex-M0+ at -Os, for DESIGN.md's
# budget (45 KB flash, 6 KB static RAM), in the default configuration and the
# embedded profile: first summed over the library's objects, then as linked
# into examples/size/m0_app.c (a MicroPython-like backend calling all of
# bh_ble.h) with --gc-sections, which is how the anchors are measured.
# Per object: scripts/size_report.py <dir>/examples/size/m0_app.elf.map --objects
M0_CMAKE := -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
	    -DCMAKE_BUILD_TYPE=MinSizeRel -DBH_BUILD_TESTS=OFF -DBH_BUILD_TOOLS=OFF -DBH_CRYPTO=builtin
M0_EMBEDDED := -DBH_CONFIG_USER_FILE=$(CURDIR)/tests/configs/embedded.h
define m0_size
	cmake -S . -B $(1) --no-warn-unused-cli $(M0_CMAKE) $(2) >/dev/null
	cmake --build $(1) -j $(JOBS) --target blehost m0_app
	@echo "== $(3): summed objects of libblehost.a (text data bss):"
	@arm-none-eabi-size -t $(1)/libblehost.a | tail -1
	@echo "== $(3): linked into examples/size/m0_app.elf (--gc-sections):"
	@python3 scripts/size_report.py $(1)/examples/size/m0_app.elf.map --budget 45 6 \
	    --api include/blehost/bh_ble.h
endef

size:
	@scripts/deps.sh gcc-arm-none-eabi libnewlib-arm-none-eabi
	$(call m0_size,$(BUILD)/m0,,default configuration)
	$(call m0_size,$(BUILD)/m0-emb,$(M0_EMBEDDED),embedded profile (tests/configs/embedded.h))

release: deps
	cmake -S . -B $(REL_DIR) -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel
	cmake --build $(REL_DIR) -j $(JOBS)

# Builds only what the demo runs; scripts/demo.sh says what it does.
demo: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS) --target blesim hci_info bluetooth_py
	scripts/demo.sh $(ASAN_DIR)

clean:
	rm -rf $(BUILD)
