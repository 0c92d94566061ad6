# riommu - top-level commands. The build itself is CMake (CMakePresets.json);
# this file only sequences set-up, configure, build and test.
#
#   make run       set up if needed, build, run the main job (`riommu run`: the
#                  built-in default scenario through the reference driver)
#   make test      every test: release ctest, debug (ASan+UBSan) ctest, valgrind
#   make coverage  coverage build, ctest, gcovr summary of model/src
#   make setup     install missing Debian packages (scripts/setup.sh)
#   make clean     remove build/
#
# JOBS sets build and ctest parallelism (default 2).

JOBS     ?= 2
CMAKE    ?= cmake
CTEST    ?= ctest
VALGRIND ?= valgrind
GCOVR    ?= gcovr
BUILD    := build

VALGRIND_FLAGS := -q --error-exitcode=1 --leak-check=full \
                  --errors-for-leak-kinds=definite,indirect

.PHONY: all setup build run test test-release test-debug test-valgrind \
        coverage clean

all: build

setup:
	@scripts/setup.sh

# Configure a preset once; afterwards the generated build re-runs CMake
# itself whenever a CMakeLists.txt or a globbed source list changes.
# (build.ninja, not CMakeCache.txt: a failed configure leaves a cache behind.)
$(BUILD)/release/build.ninja $(BUILD)/debug/build.ninja $(BUILD)/coverage/build.ninja: | setup
	@echo "==> configure: $(@D)"
	$(CMAKE) --preset $(notdir $(@D))

build: setup $(BUILD)/release/build.ninja
	@echo "==> build: release"
	$(CMAKE) --build --preset release --parallel $(JOBS)

run: build
	@echo "==> run: riommu run"
	$(BUILD)/release/riommu run

# The stages are chained so that they run in this order even under make -j.
test: test-valgrind
	@echo "==> test: all stages passed"

test-release: build
	@echo "==> test 1/3: release ctest"
	$(CTEST) --preset release --parallel $(JOBS)

test-debug: test-release $(BUILD)/debug/build.ninja
	@echo "==> test 2/3: debug (ASan + UBSan) build and ctest"
	$(CMAKE) --build --preset debug --parallel $(JOBS)
	$(CTEST) --preset debug --parallel $(JOBS)

test-valgrind: test-debug
	@echo "==> test 3/3: valgrind memcheck of the model and driver tests, the default run and its HTML report, the corpus on model,model2 and a shrink (release build)"
	@test -x $(BUILD)/release/riommu_model_tests || \
	  { echo "error: $(BUILD)/release/riommu_model_tests was not built" \
	         "(no tests/model/*.cpp?)" >&2; exit 1; }
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu_model_tests --gtest_brief=1
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu_driver_tests --gtest_brief=1
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu run -q \
	  --stats $(BUILD)/valgrind-stats.json >/dev/null
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu report $(BUILD)/valgrind-stats.json \
	  -o $(BUILD)/valgrind-report.html
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu run -q --backends model,model2 \
	  --stats $(BUILD)/valgrind-cosim-stats.json \
	  tests/scenarios/*.scn >/dev/null
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/release/riommu shrink -o $(BUILD)/valgrind-shrink.scn \
	  --backends model,model:defect=wrong-cause tests/scenarios/03_paging_4k.scn >/dev/null

coverage: setup $(BUILD)/coverage/build.ninja
	@echo "==> coverage: build"
	$(CMAKE) --build --preset coverage --parallel $(JOBS)
	@find $(BUILD)/coverage -name '*.gcda' -exec rm -f {} +
	@echo "==> coverage: ctest"
	$(CTEST) --preset coverage --parallel $(JOBS)
	@echo "==> coverage: summary for model/src"
	$(GCOVR) --root . --filter 'model/src/' --print-summary $(BUILD)/coverage

clean:
	rm -rf $(BUILD)
