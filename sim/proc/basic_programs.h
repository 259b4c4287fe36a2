// define_basic_programs: fake versions of a few coreutils for tests that want a familiar world —
// the same argv then works on both loops. Opt-in, so a test of a missing program is not
// surprised by one that exists.
//   cat        copies stdin to stdout (file arguments: "cat: <f>: No such file or directory", 1)
//   echo [-n]  its arguments, joined by spaces, and a newline
//   true/false exit 0 / 1
//   sleep S    waits S seconds of virtual time (a bad S: message and 1)
//   env        prints the environment, one NAME=value a line
//   pwd        prints the working directory
//   yes [s]    writes "y\n" (or "s\n") until its stdout fails (SIGPIPE ends it, as the real one)
#ifndef WEFT_SIM_PROC_BASIC_PROGRAMS_H_
#define WEFT_SIM_PROC_BASIC_PROGRAMS_H_

#include "sim/proc/process_table.h"

namespace weft::sim {

void define_basic_programs(ProcessTable& table);

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_BASIC_PROGRAMS_H_
