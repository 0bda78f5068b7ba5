/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdarg.h>
#include <fcntl.h>
#include <syscall.h>

int fcntl(int parm1, int parm2, ...)
{
  va_list ap;
  uintptr_t parm3;

  va_start(ap, parm2);
  parm3 = va_arg(ap, uintptr_t);
  va_end(ap);

  return (int)sys_call3((unsigned int)SYS_fcntl, (uintptr_t)parm1, (uintptr_t)parm2, (uintptr_t)parm3);
}
