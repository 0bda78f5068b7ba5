/* The first user task, named after NuttX's OS test: it checks what the
 * kernel set up for it (user .data copied, .bss zeroed, the heap mapped)
 * and returns 0 when all is well; the kernel then prints
 * "ostest_main: Exiting with status 0".
 *
 * A scenario chosen at build time (make USER_SCENARIO=...) makes it do
 * something the MPU must stop instead:
 *   pass             (default) only the checks above
 *   read-kernel-ram  reads CONFIG_RAM_START, the kernel's .data
 */

#include <stdint.h>

#include <fixture/userlib.h>

/* .data and .bss the kernel must have initialized. */
static volatile uint32_t g_data_word = 0x600dda7a;
static volatile uint32_t g_bss_word;

static int check(const char *what, int ok)
{
  user_puts("user: ");
  user_puts(what);
  user_puts(ok ? ": ok\n" : ": FAILED\n");
  return ok ? 0 : 1;
}

#ifdef CONFIG_ENABLE_ALL_SIGNALS
static volatile int g_signal_seen;

static void on_signal(int signo, void *info, void *ucontext)
{
  (void)info;
  (void)ucontext;
  g_signal_seen = signo;
}
#endif

int ostest_main(int argc, char *argv[])
{
  volatile uint32_t *heap = (volatile uint32_t *)g_userspace_data.us_heapstart;
  uint32_t heapsize = g_userspace_data.us_heapsize;
  int failures = 0;

  (void)argc;
  (void)argv;
  user_puts("user: ostest_main running unprivileged\n");
  failures += check(".data initialized", g_data_word == 0x600dda7a);
  failures += check(".bss zeroed", g_bss_word == 0);

  user_puts("user: heap ");
  user_puthex((uint32_t)(uintptr_t)heap);
  user_puts(" size ");
  user_puthex(heapsize);
  user_puts("\n");
  failures += check("heap given", heapsize != 0);
  if (heapsize != 0)
    {
      /* The heap's first word is written and its last (the top of this
       * task's stack) read: a region missing for either would fault here.
       */
      heap[0] = 0x4ea9;
      (void)heap[heapsize / 4 - 1];
      failures += check("heap mapped", heap[0] == 0x4ea9);
    }

#ifdef CONFIG_ENABLE_ALL_SIGNALS
  user_signal_handler(on_signal, 10, 0, 0);
  failures += check("signal_handler ran the handler", g_signal_seen == 10);
#endif

#ifdef CONFIG_LIBC_USRWORK
  failures += check("work_usrstart", work_usrstart() == 0);
#endif

#ifdef USER_SCENARIO_read_kernel_ram
  user_puts("user: read-kernel-ram: read at ");
  user_puthex(CONFIG_RAM_START);
  user_puts("\n");
  failures += (int)*(volatile uint32_t *)CONFIG_RAM_START;
  user_puts("user: read-kernel-ram: the read was not stopped\n");
  failures++;
#endif

  return failures;
}
