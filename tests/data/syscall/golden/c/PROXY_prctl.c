/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <syscall.h>

int prctl(int parm1, ...)
{
  va_list ap;
  uintptr_t parm2;
  uintptr_t parm3;

  va_start(ap, parm1);
  parm2 = va_arg(ap, uintptr_t);
  parm3 = va_arg(ap, uintptr_t);
  va_end(ap);

  return (int)sys_call3((unsigned int)SYS_prctl, (uintptr_t)parm1, (uintptr_t)parm2, (uintptr_t)parm3);
}
