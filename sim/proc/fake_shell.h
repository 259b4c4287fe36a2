// fake_shell: the simulated world's /bin/sh, enough for create_subprocess_shell's
// {"/bin/sh", "-c", cmd} to run commands made of the table's programs. ProcessTable resolves
// "sh" and "/bin/sh" to it unless a test defines its own.
#ifndef WEFT_SIM_PROC_FAKE_SHELL_H_
#define WEFT_SIM_PROC_FAKE_SHELL_H_

#include "runtime/task.h"
#include "sim/proc/program_context.h"

namespace weft::sim {

// Supported: commands separated by ';', newlines, '&&' and '||'; words split on blanks, with
// '...' and "..." quoting and backslash escapes; $NAME, ${NAME}, $?, $$, $#, $@, $*, $0..$9
// (`sh -c cmd name args...` sets them); NAME=value assignments, alone or before a command (for
// that command's environment); redirections >&2, 1>&2, 2>&1, >/dev/null, 2>/dev/null,
// </dev/null (also with '>>'); '#' comments. Builtins: exit [n], true, false, :, echo [-n]
// (no backslash escapes), pwd, cd [dir] (not checked), export, unset. Other names run the
// table's program in this process (its argv[0] as written, same pid and signals). An unknown
// name prints "<sh>: 1: <name>: not found" and sets $? to 127; a program that throws prints
// "<name>: uncaught exception: <what>" and sets $? to 1.
// Not supported (stderr "<sh>: sim shell does not support ..." and status 2): pipelines '|',
// background '&', subshells '(...)', command substitution, redirection to files; and, silently,
// globbing (patterns stay literal), braces and control flow ('{', if, for, ... are command names),
// and word splitting of unquoted expansions (an expansion is one word, or none when empty).
// Syntax errors (unterminated quotes, a dangling '&&') print "<sh>: 1: Syntax error: ..." and
// exit with 2. `sh` without -c prints a usage line and exits with 2.
Task<int> fake_shell(ProgramContext& ctx);

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_FAKE_SHELL_H_
