/* What the proxies find in <syscall.h>: the generated numbers, and the
 * traps. On ARM those are the generated svc functions; on the host, where
 * the round trip runs, sys_callN goes straight to the stub lookup table, as
 * the kernel's svc handler would.
 */

#ifndef __SYSCALL_H
#define __SYSCALL_H

#include <stdint.h>
#include "syscall_numbers.h"

#ifdef __arm__
#  include "syscall_svc.h"
#else

#define RT_STUB(nbr) g_stublookup[(nbr) - (SYS_maxsyscall - SYS_nsyscalls)]

typedef uintptr_t (*rt_stub0_t)(int);
typedef uintptr_t (*rt_stub1_t)(int, uintptr_t);
typedef uintptr_t (*rt_stub2_t)(int, uintptr_t, uintptr_t);
typedef uintptr_t (*rt_stub3_t)(int, uintptr_t, uintptr_t, uintptr_t);
typedef uintptr_t (*rt_stub4_t)(int, uintptr_t, uintptr_t, uintptr_t,
                                uintptr_t);
typedef uintptr_t (*rt_stub5_t)(int, uintptr_t, uintptr_t, uintptr_t,
                                uintptr_t, uintptr_t);
typedef uintptr_t (*rt_stub6_t)(int, uintptr_t, uintptr_t, uintptr_t,
                                uintptr_t, uintptr_t, uintptr_t);

static inline uintptr_t sys_call0(unsigned int nbr)
{
  return ((rt_stub0_t)RT_STUB(nbr))((int)nbr);
}

static inline uintptr_t sys_call1(unsigned int nbr, uintptr_t p1)
{
  return ((rt_stub1_t)RT_STUB(nbr))((int)nbr, p1);
}

static inline uintptr_t sys_call2(unsigned int nbr, uintptr_t p1,
                                  uintptr_t p2)
{
  return ((rt_stub2_t)RT_STUB(nbr))((int)nbr, p1, p2);
}

static inline uintptr_t sys_call3(unsigned int nbr, uintptr_t p1,
                                  uintptr_t p2, uintptr_t p3)
{
  return ((rt_stub3_t)RT_STUB(nbr))((int)nbr, p1, p2, p3);
}

static inline uintptr_t sys_call4(unsigned int nbr, uintptr_t p1,
                                  uintptr_t p2, uintptr_t p3, uintptr_t p4)
{
  return ((rt_stub4_t)RT_STUB(nbr))((int)nbr, p1, p2, p3, p4);
}

static inline uintptr_t sys_call5(unsigned int nbr, uintptr_t p1,
                                  uintptr_t p2, uintptr_t p3, uintptr_t p4,
                                  uintptr_t p5)
{
  return ((rt_stub5_t)RT_STUB(nbr))((int)nbr, p1, p2, p3, p4, p5);
}

static inline uintptr_t sys_call6(unsigned int nbr, uintptr_t p1,
                                  uintptr_t p2, uintptr_t p3, uintptr_t p4,
                                  uintptr_t p5, uintptr_t p6)
{
  return ((rt_stub6_t)RT_STUB(nbr))((int)nbr, p1, p2, p3, p4, p5, p6);
}

#endif /* __arm__ */
#endif /* __SYSCALL_H */
