/* The user side of the C round trip, compiled with -include user_names.h
 * so that every rt_* call below goes through a generated proxy, sys_callN,
 * the generated stub lookup table and a generated stub to the real
 * function in kernel.c. Prints each failure; exits 0 only if none.
 */

#include <nuttx/config.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include "roundtrip.h"
#include "record.h"

static int g_failures;

#define CHECK(cond) check((cond), __LINE__, #cond)

static void check(int ok, int line, const char *what)
{
  if (!ok)
    {
      printf("main.c:%d: failed: %s\n", line, what);
      g_failures++;
    }
}

/* The last real call was `name` with these arguments. */

#define EXPECT(name, n, a1, a2, a3, a4, a5, a6) \
  expect(__LINE__, name, n, (intptr_t)(a1), (intptr_t)(a2), (intptr_t)(a3), \
         (intptr_t)(a4), (intptr_t)(a5), (intptr_t)(a6))

static void expect(int line, const char *name, int nargs, intptr_t a1,
                   intptr_t a2, intptr_t a3, intptr_t a4, intptr_t a5,
                   intptr_t a6)
{
  intptr_t want[6];
  int i;

  want[0] = a1;
  want[1] = a2;
  want[2] = a3;
  want[3] = a4;
  want[4] = a5;
  want[5] = a6;
  if (g_record.name == NULL || strcmp(g_record.name, name) != 0 ||
      g_record.nargs != nargs)
    {
      printf("main.c:%d: expected a call of %s, last was %s\n", line, name,
             g_record.name ? g_record.name : "(none)");
      g_failures++;
      return;
    }

  for (i = 0; i < nargs; i++)
    {
      if (g_record.args[i] != want[i])
        {
          printf("main.c:%d: %s argument %d: expected %ld, got %ld\n", line,
                 name, i + 1, (long)want[i], (long)g_record.args[i]);
          g_failures++;
        }
    }
}

static int triple(int a)
{
  return 3 * a;
}

/* A checked call that must fail: -EFAULT, and the real function not called. */

#define REFUSED(call) refused((intptr_t)(call), __LINE__, #call)

static int g_calls_before;

static void refused(intptr_t result, int line, const char *what)
{
  if (result != -EFAULT || g_record.calls != g_calls_before)
    {
      printf("main.c:%d: %s: expected -EFAULT without a call, got %ld\n",
             line, what, (long)result);
      g_failures++;
    }
}

int main(void)
{
  int fds[2] = { 3, 4 };
  int marker;
  union rt_value value;
  struct rt_time *duration = (struct rt_time *)(g_user_ram + 48);

  /* Numbering: from CONFIG_SYS_RESERVED, in the order of the CSV */

  CHECK(SYS_rt_arity0 == 8);
  CHECK(SYS_rt_sleep == 8 + 21);
  CHECK(SYS_nsyscalls == 22);
  CHECK(strcmp(g_funcnames[SYS_rt_open - 8], "rt_open") == 0);

  /* Every arity, with signed, unsigned, narrow and bool arguments */

  CHECK(rt_arity0() == 1000);
  EXPECT("rt_arity0", 0, 0, 0, 0, 0, 0, 0);
  CHECK(rt_arity1(-123456) == -246912);
  EXPECT("rt_arity1", 1, -123456, 0, 0, 0, 0, 0);
  CHECK(rt_arity2(0xfffffffe, -2) == 0xffffffff);
  EXPECT("rt_arity2", 2, 0xfffffffe, -2, 0, 0, 0, 0);
  CHECK(rt_arity3(-5, 200, true) == 196);
  EXPECT("rt_arity3", 3, -5, 200, 1, 0, 0, 0);
  CHECK(rt_arity4(1, -2, 3, -4) == -2);
  EXPECT("rt_arity4", 4, 1, -2, 3, -4, 0, 0);
  CHECK(rt_arity5(10, 20, 30, 40, 50) == 150);
  EXPECT("rt_arity5", 5, 10, 20, 30, 40, 50, 0);
  CHECK(rt_arity6(-1, 2, -3, 4, -5, 6) == 3);
  EXPECT("rt_arity6", 6, -1, 2, -3, 4, -5, 6);

  /* Variadic: typed optional arguments, and NuttX's uintptr_t default */

  CHECK(rt_variadic(41, (uintptr_t)0xabcd, &marker) == 42);
  EXPECT("rt_variadic", 3, 41, 0xabcd, &marker, 0, 0, 0);
  CHECK(rt_variadic_default(9, (uintptr_t)1, (uintptr_t)2, (uintptr_t)3,
                            (uintptr_t)4, (uintptr_t)5) == 9);
  EXPECT("rt_variadic_default", 6, 9, 1, 2, 3, 4, 5);

  /* An array, unions (fixed and variadic), a function pointer */

  CHECK(rt_array(fds, 77) == 77);
  EXPECT("rt_array", 2, fds, 77, 0, 0, 0, 0);
  CHECK(fds[0] == 10 && fds[1] == 11);
  value.ptr = &marker;
  CHECK(rt_union(5, value) == 5);
  EXPECT("rt_union", 2, 5, &marker, 0, 0, 0, 0);
  CHECK(rt_union_variadic(6, value) == 6);
  EXPECT("rt_union_variadic", 2, 6, &marker, 0, 0, 0, 0);
  CHECK(rt_funcptr(triple, 14) == 42);
  EXPECT("rt_funcptr", 2, triple, 14, 0, 0, 0, 0);

  /* void and noreturn */

  rt_void(-8);
  EXPECT("rt_void", 1, -8, 0, 0, 0, 0, 0);
  if (setjmp(g_exit_jump) == 0)
    {
      rt_exit(3);
      CHECK(!"rt_exit returned");
    }

  EXPECT("rt_exit", 1, 3, 0, 0, 0, 0, 0);

  /* Conditions: the enabled call works, the one configured out has no
   * proxy, keeps its number and answers -ENOSYS.
   */

  CHECK(rt_enabled(4) == -4);
  EXPECT("rt_enabled", 1, 4, 0, 0, 0, 0, 0);
  g_calls_before = g_record.calls;
  CHECK((intptr_t)sys_call1(SYS_rt_disabled, 1) == -ENOSYS);
  CHECK(g_record.calls == g_calls_before);
  CHECK(strcmp(g_funcnames[SYS_rt_disabled - 8], "rt_disabled") == 0);

  /* Checked pointers that pass */

  CHECK(rt_read(1, g_user_ram + 8, 16) == 16);
  EXPECT("rt_read", 3, 1, g_user_ram + 8, 16, 0, 0, 0);
  CHECK(g_user_ram[8] == 'r' && g_user_ram[23] == 'r' && g_user_ram[24] == 0);
  CHECK(rt_read(1, g_user_ram + 240, 16) == 16);
  CHECK(rt_write(1, g_user_rodata, sizeof(g_user_rodata)) == 16);
  EXPECT("rt_write", 3, 1, g_user_rodata, 16, 0, 0, 0);
  CHECK(rt_read(1, g_kernel_ram, 0) == 0);     /* nothing is accessed */
  strcpy((char *)g_user_ram + 100, "fifteen-chars!!");
  CHECK(rt_open((const char *)g_user_ram + 100, 2) == 15);
  EXPECT("rt_open", 2, g_user_ram + 100, 2, 0, 0, 0, 0);
  CHECK(rt_gettime((struct rt_time *)(g_user_ram + 32)) == 0);
  duration->sec = 7;
  CHECK(rt_sleep(duration, NULL) == 7);        /* NULL passes: nullable */
  EXPECT("rt_sleep", 2, duration, 0, 0, 0, 0, 0);

  /* Checked pointers that must be refused */

  g_calls_before = g_record.calls;
  REFUSED(rt_read(1, g_kernel_ram, 16));
  REFUSED(rt_read(1, g_user_ram + 241, 16));   /* one byte past the end */
  REFUSED(rt_read(1, (void *)g_user_rodata, 4));   /* not writable */
  REFUSED(rt_write(1, g_kernel_ram, 1));
  REFUSED(rt_read(1, (void *)(UINTPTR_MAX - 7), 16));   /* end wraps */
  REFUSED(rt_write(1, (void *)(UINTPTR_MAX - 7), 16));
  REFUSED(rt_open((const char *)g_kernel_ram, 0));
  memset(g_user_ram + 250, 'x', 6);            /* no NUL before the end */
  REFUSED(rt_open((const char *)g_user_ram + 250, 0));
  strcpy((char *)g_user_ram + 100, "sixteen-chars!!!");   /* over the max */
  REFUSED(rt_open((const char *)g_user_ram + 100, 0));
  REFUSED(rt_gettime((struct rt_time *)g_kernel_ram));
  REFUSED(rt_gettime(NULL));                   /* not nullable */
  REFUSED(rt_gettime((struct rt_time *)(g_user_ram + 252)));
  REFUSED(rt_sleep((struct rt_time *)g_kernel_ram, NULL));
  REFUSED(rt_sleep((struct rt_time *)g_user_ram,
                   (struct rt_time *)g_kernel_ram));

  if (g_failures == 0)
    {
      printf("C round trip: all checks passed\n");
    }

  return g_failures == 0 ? 0 : 1;
}
