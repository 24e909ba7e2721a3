# cmake -P: installs BUILD_DIR into WORK_DIR/prefix, checks the pkg-config
# file, builds the example at SOURCE_DIR against the installed package with
# find_package(actormq) and runs it in its self-test mode.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(f include/actormq/broker.hpp)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# Only the public header: nothing of the broker's own folders.
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*)
if(NOT headers STREQUAL "actormq/broker.hpp")
  message(FATAL_ERROR "installed headers: ${headers}")
endif()

file(GLOB_RECURSE pc ${prefix}/*/actormq.pc)
if(NOT pc)
  message(FATAL_ERROR "no actormq.pc under ${prefix}")
endif()
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  get_filename_component(pc_dir ${pc} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  run(${PKG_CONFIG} --libs --cflags actormq)
  # The prefix is found from the .pc file's place, wherever it is installed.
  string(REGEX MATCH "-I([^ \n]+)" flag "${last_output}")
  if(NOT EXISTS "${CMAKE_MATCH_1}/actormq/broker.hpp")
    message(FATAL_ERROR "pkg-config's include directory has no actormq/broker.hpp: ${last_output}")
  endif()
  string(REGEX MATCH "-L([^ \n]+)" flag "${last_output}")
  if(NOT EXISTS "${CMAKE_MATCH_1}/libactormq.so")
    message(FATAL_ERROR "pkg-config's library directory has no libactormq.so: ${last_output}")
  endif()
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# A port of the dynamic range, picked at random (configs name a port).
string(RANDOM LENGTH 4 ALPHABET 0123456789 r)
math(EXPR port "20000 + ${r}")
run(${WORK_DIR}/build/gateway --port ${port} --self-test)
message(STATUS "${last_output}")
