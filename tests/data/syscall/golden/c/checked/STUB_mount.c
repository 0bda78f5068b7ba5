/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <sys/mount.h>
#include "syscall_checks.h"

#if !defined(CONFIG_DISABLE_MOUNTPOINT)

uintptr_t STUB_mount(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3, uintptr_t parm4, uintptr_t parm5)
{
  if (parm1 != 0 && !syscall_string_ok(parm1, 256))
    {
      return (uintptr_t)-EFAULT;
    }

  if (!syscall_string_ok(parm2, 256))
    {
      return (uintptr_t)-EFAULT;
    }

  if (parm3 != 0 && !syscall_string_ok(parm3, 256))
    {
      return (uintptr_t)-EFAULT;
    }

  return (uintptr_t)mount((FAR const char *)parm1, (FAR const char *)parm2, (FAR const char *)parm3, (unsigned long)parm4, (FAR const void *)parm5);
}

#endif /* !defined(CONFIG_DISABLE_MOUNTPOINT) */
