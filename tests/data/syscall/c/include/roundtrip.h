/* The "OS functions" of roundtrip.csv, as the kernel implements them and
 * the proxies declare them.
 */

#ifndef __ROUNDTRIP_H
#define __ROUNDTRIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

union rt_value
{
  FAR void *ptr;
  int number;
};

struct rt_time
{
  int32_t sec;
  int32_t nsec;
};

int rt_arity0(void);
long rt_arity1(long a);
unsigned int rt_arity2(unsigned int a, int16_t b);
int rt_arity3(int a, uint8_t b, bool c);
int rt_arity4(int a, int b, int c, int d);
int rt_arity5(int a, int b, int c, int d, int e);
int rt_arity6(int a, int b, int c, int d, int e, int f);
int rt_variadic(int a, ...);
int rt_variadic_default(int a, ...);
int rt_array(int fds[2], int flags);
int rt_union(int a, union rt_value value);
int rt_union_variadic(int a, ...);
int rt_funcptr(int (*fn)(int), int a);
void rt_exit(int status) __attribute__((noreturn));
void rt_void(int a);
int rt_enabled(int a);
int rt_disabled(int a);
ssize_t rt_read(int fd, FAR void *buf, size_t len);
ssize_t rt_write(int fd, FAR const void *buf, size_t len);
int rt_open(FAR const char *path, int flags);
int rt_gettime(FAR struct rt_time *now);
int rt_sleep(FAR const struct rt_time *duration, FAR struct rt_time *left);

#endif /* __ROUNDTRIP_H */
