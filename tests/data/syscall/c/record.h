/* What the kernel side of the C round trip saw, for main.c to compare with
 * what the user side passed.
 */

#ifndef __RECORD_H
#define __RECORD_H

#include <setjmp.h>
#include <stdint.h>

struct rt_record
{
  const char *name;    /* The real function last called */
  int nargs;
  intptr_t args[6];
  int calls;           /* Calls of real functions so far */
  int range_checks;    /* Calls of user_range_ok so far */
};

extern struct rt_record g_record;
extern jmp_buf g_exit_jump;

/* The "user partitions": user_range_ok accepts these and nothing else. */

extern unsigned char g_user_ram[256];
extern const unsigned char g_user_rodata[16];    /* readable, not writable */
extern unsigned char g_kernel_ram[64];

#endif /* __RECORD_H */
