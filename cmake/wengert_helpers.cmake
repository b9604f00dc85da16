# Shared build settings for every wengert target.

# Warnings (errors in CI) and sanitizers, applied to each of our own targets.
function(wengert_target_settings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(WENGERT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(WENGERT_SANITIZE OR WENGERT_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# A layer library: sources globbed from src/ (adding a file needs no CMake edit), public headers
# under include/, installed and exported as wengert::<name>.
# Kernel files named *_avx512.cpp / *_avx2.cpp are compiled with that instruction set only; the
# rest of the library stays baseline x86-64, and xsimd::dispatch picks the kernel at run time.
function(wengert_add_layer name)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(NOT sources)
    message(STATUS "wengert: layer '${name}' has no sources yet; skipped")
    return()
  endif()
  add_library(wengert_${name} ${sources})
  add_library(wengert::${name} ALIAS wengert_${name})
  set_target_properties(wengert_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME wengert_${name}
                                                   POSITION_INDEPENDENT_CODE ON)
  target_include_directories(wengert_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(wengert_${name} PUBLIC cxx_std_20)
  target_link_libraries(wengert_${name} PUBLIC ${ARG_DEPENDS})
  wengert_target_settings(wengert_${name})
  foreach(src IN LISTS sources)
    if(src MATCHES "_avx512\\.cpp$")
      # GCC 12's own avx512fintrin.h trips -W(maybe-)uninitialized (its _mm512_undefined_*
      # placeholders); the warning is about the compiler's header, not our code.
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mavx2;-mfma;$<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>;-Wno-uninitialized")
    elseif(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
    endif()
  endforeach()
  install(TARGETS wengert_${name} EXPORT wengertTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()

# A Catch2 test executable per layer: every tests/<layer>/*.cpp, registered with ctest.
function(wengert_add_test_dir layer)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${layer}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(test_${layer} ${sources})
  target_link_libraries(test_${layer} PRIVATE wengert_catch_main ${ARG_DEPENDS})
  wengert_target_settings(test_${layer})
  catch_discover_tests(test_${layer} TEST_PREFIX "${layer}: " PROPERTIES TIMEOUT 600)
endfunction()
