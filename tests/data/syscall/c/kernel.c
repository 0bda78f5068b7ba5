/* The kernel side of the C round trip: the real functions behind the
 * stubs, each recording its arguments, and user_range_ok.
 */

#include <nuttx/config.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "roundtrip.h"
#include "record.h"

struct rt_record g_record;
jmp_buf g_exit_jump;
unsigned char g_user_ram[256] __attribute__((aligned(8)));
const unsigned char g_user_rodata[16] = "read-only";
unsigned char g_kernel_ram[64];

static void record(const char *name, int nargs, intptr_t a1, intptr_t a2,
                   intptr_t a3, intptr_t a4, intptr_t a5, intptr_t a6)
{
  g_record.name = name;
  g_record.nargs = nargs;
  g_record.args[0] = a1;
  g_record.args[1] = a2;
  g_record.args[2] = a3;
  g_record.args[3] = a4;
  g_record.args[4] = a5;
  g_record.args[5] = a6;
  g_record.calls++;
}

static bool inside(uintptr_t addr, size_t len, const void *start,
                   size_t size)
{
  /* Deliberately naive, as kernels write it: addr + len may wrap. The
   * generated checks must never let such a range reach this function.
   */

  return addr >= (uintptr_t)start && addr + len <= (uintptr_t)start + size;
}

bool user_range_ok(uintptr_t addr, size_t len, bool write)
{
  g_record.range_checks++;
  if (addr > UINTPTR_MAX - len)
    {
      g_record.name = "user_range_ok saw a wrapping range";
      return true;
    }

  return inside(addr, len, g_user_ram, sizeof(g_user_ram)) ||
         (!write && inside(addr, len, g_user_rodata, sizeof(g_user_rodata)));
}

int rt_arity0(void)
{
  record("rt_arity0", 0, 0, 0, 0, 0, 0, 0);
  return 1000;
}

long rt_arity1(long a)
{
  record("rt_arity1", 1, a, 0, 0, 0, 0, 0);
  return a * 2;
}

unsigned int rt_arity2(unsigned int a, int16_t b)
{
  record("rt_arity2", 2, a, b, 0, 0, 0, 0);
  return a + 1;
}

int rt_arity3(int a, uint8_t b, bool c)
{
  record("rt_arity3", 3, a, b, c, 0, 0, 0);
  return a + b + c;
}

int rt_arity4(int a, int b, int c, int d)
{
  record("rt_arity4", 4, a, b, c, d, 0, 0);
  return a + b + c + d;
}

int rt_arity5(int a, int b, int c, int d, int e)
{
  record("rt_arity5", 5, a, b, c, d, e, 0);
  return a + b + c + d + e;
}

int rt_arity6(int a, int b, int c, int d, int e, int f)
{
  record("rt_arity6", 6, a, b, c, d, e, f);
  return a + b + c + d + e + f;
}

/* The stubs pass optional arguments as fixed ones, so the variadic real
 * functions read them with va_arg as any caller's would be.
 */

#include <stdarg.h>

int rt_variadic(int a, ...)
{
  va_list ap;
  uintptr_t b;
  void *c;

  va_start(ap, a);
  b = va_arg(ap, uintptr_t);
  c = va_arg(ap, void *);
  va_end(ap);
  record("rt_variadic", 3, a, (intptr_t)b, (intptr_t)c, 0, 0, 0);
  return a + 1;
}

int rt_variadic_default(int a, ...)
{
  va_list ap;
  intptr_t v[5];
  int i;

  va_start(ap, a);
  for (i = 0; i < 5; i++)
    {
      v[i] = (intptr_t)va_arg(ap, uintptr_t);
    }

  va_end(ap);
  record("rt_variadic_default", 6, a, v[0], v[1], v[2], v[3], v[4]);
  return a;
}

int rt_array(int fds[2], int flags)
{
  record("rt_array", 2, (intptr_t)fds, flags, 0, 0, 0, 0);
  fds[0] = 10;
  fds[1] = 11;
  return flags;
}

int rt_union(int a, union rt_value value)
{
  record("rt_union", 2, a, (intptr_t)value.ptr, 0, 0, 0, 0);
  return a;
}

int rt_union_variadic(int a, ...)
{
  va_list ap;
  union rt_value value;

  va_start(ap, a);
  value = va_arg(ap, union rt_value);
  va_end(ap);
  record("rt_union_variadic", 2, a, (intptr_t)value.ptr, 0, 0, 0, 0);
  return a;
}

int rt_funcptr(int (*fn)(int), int a)
{
  record("rt_funcptr", 2, (intptr_t)fn, a, 0, 0, 0, 0);
  return fn(a);
}

void rt_exit(int status)
{
  record("rt_exit", 1, status, 0, 0, 0, 0, 0);
  longjmp(g_exit_jump, 1);
}

void rt_void(int a)
{
  record("rt_void", 1, a, 0, 0, 0, 0, 0);
}

int rt_enabled(int a)
{
  record("rt_enabled", 1, a, 0, 0, 0, 0, 0);
  return -a;
}

ssize_t rt_read(int fd, FAR void *buf, size_t len)
{
  record("rt_read", 3, fd, (intptr_t)buf, (intptr_t)len, 0, 0, 0);
  memset(buf, 'r', len);
  return (ssize_t)len;
}

ssize_t rt_write(int fd, FAR const void *buf, size_t len)
{
  record("rt_write", 3, fd, (intptr_t)buf, (intptr_t)len, 0, 0, 0);
  return (ssize_t)len;
}

int rt_open(FAR const char *path, int flags)
{
  record("rt_open", 2, (intptr_t)path, flags, 0, 0, 0, 0);
  return (int)strlen(path);
}

int rt_gettime(FAR struct rt_time *now)
{
  record("rt_gettime", 1, (intptr_t)now, 0, 0, 0, 0, 0);
  now->sec = 1;
  now->nsec = 2;
  return 0;
}

int rt_sleep(FAR const struct rt_time *duration, FAR struct rt_time *left)
{
  record("rt_sleep", 2, (intptr_t)duration, (intptr_t)left, 0, 0, 0, 0);
  return duration->sec;
}
