# arecipe: thin wrapper over CMake/Ninja (DuckDB-style).
#   make         build build/arecipe
#   make demo    quantize-and-evaluate demo on the bundled example model
#   make test    build and run every test (installs missing dependencies first)
#   make bench   benchmarks against reference implementations
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup setup-python configure build demo test test-core bench clean

all: build

setup:
	@scripts/install-deps

setup-python:
	@scripts/install-deps --python $(BUILD)

$(BUILD)/build.ninja:
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD)/build.ninja

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo $(BUILD)

# Full suite: a bounded fuzz run of the recipe loader, the committed golden fixtures,
# and live comparisons with the Python reference packages (installed into
# $(BUILD)/venv on first use).
test: setup setup-python configure
	cmake --build $(BUILD) -j $(JOBS)
	scripts/fuzz-recipe 30
	OMP_WAIT_POLICY=PASSIVE ARECIPE_PYTHON=$(CURDIR)/$(BUILD)/venv/bin/python ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Offline suite: committed fixtures only, no Python packages needed.
test-core: build
	OMP_WAIT_POLICY=PASSIVE ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE reference

bench: setup setup-python build
	@ARECIPE_PYTHON=$(CURDIR)/$(BUILD)/venv/bin/python bench/run $(BUILD)

clean:
	rm -rf $(BUILD)
