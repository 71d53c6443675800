# Install rules and the CMake package: `find_package(namk)` gives namk::namk (the inference
# library: namk_nn + namk_core + namk_base, carrying Eigen) and pkg-config gets namk.pc. Headers keep their
# in-tree paths under include/namk, so "nn/namk.h" and "core/tape.h" read the same in and out of tree.
# Training libraries (data/, train/) are not installed: the package is the embeddable runtime.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NAMK_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/namk")
set(NAMK_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/namk")

# namk_flags travels with the libraries: sanitizer and -march flags must match between the
# archives and the program that links them.
install(TARGETS namk_base namk_core namk_nn namk_flags
  EXPORT namkTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${NAMK_INSTALL_INCLUDEDIR}")
install(TARGETS nam-knobs RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# Every header of base/, core/ and nn/ is public (C++ users build on Model and the kernels); a pattern
# rather than a list, so a new header cannot be forgotten.
foreach(dir base core nn)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${dir}/" DESTINATION "${NAMK_INSTALL_INCLUDEDIR}/${dir}"
          FILES_MATCHING PATTERN "*.h")
endforeach()

install(EXPORT namkTargets NAMESPACE namk:: DESTINATION "${NAMK_INSTALL_CMAKEDIR}")
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/namkConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/namkConfig.cmake" INSTALL_DESTINATION "${NAMK_INSTALL_CMAKEDIR}")
# 0.x: a minor version may break the API.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/namkConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/namkConfig.cmake" "${PROJECT_BINARY_DIR}/namkConfigVersion.cmake"
        DESTINATION "${NAMK_INSTALL_CMAKEDIR}")

# namk.pc finds its prefix relative to itself, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH NAMK_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" NAMK_PC_TO_PREFIX "${NAMK_PC_TO_PREFIX}")
set(NAMK_PC_FLAGS "")
set(NAMK_PC_LIBS "")
if(NAMK_RESAMPLE)
  set(NAMK_PC_LIBS " -lsoxr")
endif()
if(NAMK_NATIVE)
  string(APPEND NAMK_PC_FLAGS " -march=native")
endif()
if(NAMK_SANITIZE)
  string(APPEND NAMK_PC_FLAGS " -fsanitize=address,undefined")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/namk.pc.in" "${PROJECT_BINARY_DIR}/namk.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/namk.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
