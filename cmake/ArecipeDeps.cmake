# Third-party dependencies, all from Debian packages (scripts/install-deps) or,
# for CUDA builds, a LibTorch >= 2.7 passed with -DCMAKE_PREFIX_PATH=<torch cmake prefix>.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)

# LibTorch: only targets that really need tensors link it (see arecipe_torch()).
find_package(Torch REQUIRED)
message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_INSTALL_PREFIX}")

# Link a target against LibTorch. The torch include flags are heavy, so keep them off
# the pure-C++ libraries (dsl/, schemes core, autoscheme/).
function(arecipe_torch target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_compile_options(${target} PRIVATE ${TORCH_CXX_FLAGS})
endfunction()

# Precompiled header for TUs that include ATen: saves ~8 s per file on 2 cores.
function(arecipe_torch_pch target)
  target_precompile_headers(${target} PRIVATE <ATen/ATen.h> <vector> <string> <memory>)
endfunction()
