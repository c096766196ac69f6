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
# For CUDA builds torch's config turns TORCH_CUDA_ARCH_LIST into nvcc flags; its own
# default (detected, or a list from sm_50 up without a GPU) fails on CUDA >= 13.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0" CACHE STRING "GPU architectures for CUDA code (fused kernels)")
endif()
find_package(Torch REQUIRED)
message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_INSTALL_PREFIX}")
# TorchConfig looks for libc10 on the system paths first: with Debian's libtorch-dev also
# installed, a wheel build would link two c10s. Use the one beside the chosen libtorch.
if(c10_LIBRARY AND EXISTS "${TORCH_INSTALL_PREFIX}/lib/libc10.so"
   AND NOT c10_LIBRARY STREQUAL "${TORCH_INSTALL_PREFIX}/lib/libc10.so")
  list(TRANSFORM TORCH_LIBRARIES REPLACE "^${c10_LIBRARY}$" "${TORCH_INSTALL_PREFIX}/lib/libc10.so")
endif()

# The torch wheels (>= 2.x) ship their own fmt headers in <prefix>/include, which would
# shadow the fmt that Debian's spdlog was built against. A shim folder holding only a
# link to the system fmt goes first on the include path of torch targets.
set(ARECIPE_FMT_SHIM "")
if(EXISTS "${TORCH_INSTALL_PREFIX}/include/fmt")
  find_path(ARECIPE_SYSTEM_FMT_DIR fmt/format.h PATHS /usr/include NO_DEFAULT_PATH REQUIRED)
  set(ARECIPE_FMT_SHIM "${CMAKE_BINARY_DIR}/fmt-shim")
  file(MAKE_DIRECTORY "${ARECIPE_FMT_SHIM}")
  file(CREATE_LINK "${ARECIPE_SYSTEM_FMT_DIR}/fmt" "${ARECIPE_FMT_SHIM}/fmt" SYMBOLIC)
endif()

# A torch wheel's libtorch_cuda.so finds the CUDA libraries of the nvidia-* wheels beside
# it through its RPATH at run time; the linker needs the same folders (-rpath-link), or
# it picks older copies (NCCL) from the system CUDA toolkit.
file(GLOB ARECIPE_TORCH_WHEEL_LIBDIRS LIST_DIRECTORIES true "${TORCH_INSTALL_PREFIX}/../nvidia/*/lib")
foreach(dir ${ARECIPE_TORCH_WHEEL_LIBDIRS})
  add_link_options("LINKER:-rpath-link,${dir}")
endforeach()

# Link a target against LibTorch. The torch include flags are heavy, so keep them off
# the pure-C++ libraries (dsl/, schemes core, autoscheme/).
function(arecipe_torch target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  separate_arguments(flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(${target} PRIVATE ${flags})
  if(ARECIPE_FMT_SHIM)
    target_include_directories(${target} SYSTEM BEFORE PUBLIC "${ARECIPE_FMT_SHIM}")
  endif()
endfunction()

# Precompiled header for TUs that include ATen: saves ~8 s per file on 2 cores.
function(arecipe_torch_pch target)
  target_precompile_headers(${target} PRIVATE <ATen/ATen.h> <vector> <string> <memory>)
endfunction()

# A torch wheel (PyPI) bundles its own runtimes (libgomp, oneDNN inside libtorch_cpu);
# Debian's LibTorch uses the system's. Linking a second copy of either into the process
# is avoided below.
file(GLOB ARECIPE_TORCH_BUNDLED_GOMP "${TORCH_INSTALL_PREFIX}/lib/libgomp*")
set(ARECIPE_TORCH_WHEEL OFF)
if(ARECIPE_TORCH_BUNDLED_GOMP)
  set(ARECIPE_TORCH_WHEEL ON)
endif()

# at::parallel_for is a header template: in a file compiled without -fopenmp it runs the
# whole range on the calling thread. The files that call it (the CPU kernels) are
# compiled with OpenMP, against the libgomp Debian's LibTorch uses; with a wheel they
# stay serial, since two OpenMP runtimes in one process are worse than serial loops.
# Call from the directory that adds the sources.
set(ARECIPE_KERNEL_OPENMP OFF)
if(NOT ARECIPE_TORCH_WHEEL)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  set(ARECIPE_KERNEL_OPENMP ON)
endif()
message(STATUS "OpenMP in the CPU kernels: ${ARECIPE_KERNEL_OPENMP}")
function(arecipe_openmp_sources target)
  if(ARECIPE_KERNEL_OPENMP)
    set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS ${OpenMP_CXX_FLAGS})
    # The precompiled header was built without OpenMP's flags.
    set_property(SOURCE ${ARGN} PROPERTY SKIP_PRECOMPILE_HEADERS ON)
    target_link_libraries(${target} PUBLIC ${OpenMP_CXX_LIBRARIES})
  endif()
endfunction()

# Fused CUDA kernels (schemes/qdq/fused): built when the LibTorch found has CUDA (its
# config has then enabled the CUDA language); Debian's CPU LibTorch skips them.
option(ARECIPE_CUDA_KERNELS "Build the fused CUDA kernels when LibTorch has CUDA" ON)
set(ARECIPE_WITH_CUDA_KERNELS OFF)
if(ARECIPE_CUDA_KERNELS AND CAFFE2_USE_CUDA AND CMAKE_CUDA_COMPILER)
  set(ARECIPE_WITH_CUDA_KERNELS ON)
endif()
message(STATUS "Fused CUDA kernels: ${ARECIPE_WITH_CUDA_KERNELS}")
