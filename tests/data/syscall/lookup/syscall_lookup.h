/* A syscall_lookup.h of our own, in the form of NuttX's
 * include/sys/syscall_lookup.h, with every construct mcu-build evaluates:
 * SYSCALL_LOOKUP1 and SYSCALL_LOOKUP, #ifdef, #ifndef, #if, #elif, #else,
 * nesting, defined with and without parentheses, !, &&, ||, comparisons
 * with decimal and hexadecimal numbers, and comments of both kinds.
 */

SYSCALL_LOOKUP1(_exit,                     1)
SYSCALL_LOOKUP(getpid,                     0)

#ifdef CONFIG_SCHED_HAVE_PARENT
  SYSCALL_LOOKUP(getppid,                  0)
#endif

#ifndef CONFIG_DISABLE_ENVIRON
  SYSCALL_LOOKUP(getenv,                   1) // the environment
#endif

#if defined(CONFIG_ARCH_HAVE_VFORK) || defined CONFIG_ARCH_HAVE_FORK
  SYSCALL_LOOKUP(up_fork,                  1)
#endif

#if defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0
  SYSCALL_LOOKUP(pipe2,                    2)
#endif

#ifndef CONFIG_BUILD_KERNEL
  SYSCALL_LOOKUP(task_create,              5)
#  if CONFIG_TASK_NAME_SIZE >= 0x10 && !defined(CONFIG_SMP)
  SYSCALL_LOOKUP(prctl,                    3)
#  endif
#elif defined(CONFIG_MM_PGALLOC) && CONFIG_MM_PGSIZE == 4096
  SYSCALL_LOOKUP(pgalloc,                  2)
#else
  SYSCALL_LOOKUP(pgfree,                   1)
#endif

# ifdef CONFIG_SYSLOG_CHANNEL /* a string option */
SYSCALL_LOOKUP(nx_vsyslog,                 3)
# endif

SYSCALL_LOOKUP(write,                      3)
