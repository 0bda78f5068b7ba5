/* The user-mode entry points the kernel reaches through the header, as
 * NuttX's libc provides them (nxtask_startup, up_signal_handler,
 * work_usrstart).
 */

#include <fixture/userlib.h>

/* Runs a task's main in user mode; its return value is the exit status. */
void task_startup(main_t entrypt, int argc, char *argv[])
{
  user_exit(entrypt(argc, argv));
}

#ifdef CONFIG_ENABLE_ALL_SIGNALS
/* Calls a signal handler in user mode. NuttX's trampoline then returns to
 * the kernel with a system call; the fixture's kernel delivers no
 * signals, so its only caller is ostest_main, and it simply returns.
 */
void user_signal_handler(void (*sighand)(int, void *, void *), int signo,
                         void *info, void *ucontext)
{
  sighand(signo, info, ucontext);
}
#endif

#ifdef CONFIG_LIBC_USRWORK
/* Starts the user work queue. The fixture's has no worker: it announces
 * itself and reports success (0), which ostest_main checks.
 */
int work_usrstart(void)
{
  user_puts("user: work_usrstart: user work queue ready\n");
  return 0;
}
#endif
