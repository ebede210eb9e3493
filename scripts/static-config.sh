# Sourced by scripts/build-static and scripts/build-bench-static, so the load
# driver is measured with exactly the compiler and linker flags notibus ships
# with: static, size-optimised, link-time optimised, unused sections dropped.
#   configure_static BUILD_DIR [extra cmake arguments...]
configure_static() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DNOTIBUS_STATIC=ON -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON "$@" >/dev/null
}
