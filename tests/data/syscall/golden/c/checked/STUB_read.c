/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <unistd.h>
#include "syscall_checks.h"

uintptr_t STUB_read(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)
{
  if (!syscall_buffer_ok(parm2, (size_t)parm3, true))
    {
      return (uintptr_t)-EFAULT;
    }

  return (uintptr_t)read((int)parm1, (FAR void *)parm2, (size_t)parm3);
}
