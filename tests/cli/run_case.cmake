# run_case.cmake: runs tests/cli/<case>.sh with bash in a fresh work directory, with PORTRAIT,
# PORTRAIT_GEN and SRC in the environment, and compares its stdout with <case>.out.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(ENV{PORTRAIT} ${PORTRAIT})
set(ENV{PORTRAIT_GEN} ${PORTRAIT_GEN})
set(ENV{SRC} ${SRC})
set(ENV{PORTRAIT_STORE} ${WORK}/store.db)
execute_process(COMMAND bash ${CASE}.sh WORKING_DIRECTORY ${WORK}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(WRITE ${WORK}/actual.out "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CASE}.sh exited ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
file(READ ${CASE}.out expected)
if(NOT out STREQUAL expected)
  execute_process(COMMAND diff -u ${CASE}.out ${WORK}/actual.out OUTPUT_VARIABLE d)
  message(FATAL_ERROR "output differs from ${CASE}.out:\n${d}\nstderr:\n${err}")
endif()
