# cmake -P script behind the namk_install_consumer test: `cmake --install` into WORK_DIR/prefix,
# build consumer/ against that prefix alone, run its programs on MODEL, and run the installed
# nam-knobs. Fails (FATAL_ERROR) at the first step that does not succeed.
foreach(var NAMK_BUILD_DIR CONSUMER_DIR WORK_DIR MODEL C_COMPILER CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "$ ${ARGN}\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
run("${CMAKE_COMMAND}" --install "${NAMK_BUILD_DIR}" --prefix "${prefix}")

file(GLOB_RECURSE pc_files "${prefix}/*/namk.pc")
if(NOT pc_files)
  message(FATAL_ERROR "no namk.pc under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)

# CMAKE_PREFIX_PATH and PKG_CONFIG_PATH name only the temporary prefix: a stale system install
# cannot stand in for this one.
run("${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${pc_dir}"
    "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j2)
foreach(program consumer_c consumer_pkgconfig consumer_cpp)
  run("${WORK_DIR}/build/${program}" "${MODEL}")
endforeach()
run("${prefix}/bin/nam-knobs" info --model "${MODEL}")
