/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <unistd.h>
#include <syscall.h>

void _exit(int parm1)
{
  sys_call1((unsigned int)SYS__exit, (uintptr_t)parm1);
  while(1);
}
