/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <unistd.h>
#include "syscall_checks.h"

#if defined(CONFIG_PSEUDOFS_SOFTLINKS)

uintptr_t STUB_readlink(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)
{
  if (!syscall_string_ok(parm1, 256))
    {
      return (uintptr_t)-EFAULT;
    }

  if (!syscall_buffer_ok(parm2, (size_t)parm3, true))
    {
      return (uintptr_t)-EFAULT;
    }

  return (uintptr_t)readlink((FAR const char *)parm1, (FAR char *)parm2, (size_t)parm3);
}

#endif /* defined(CONFIG_PSEUDOFS_SOFTLINKS) */
