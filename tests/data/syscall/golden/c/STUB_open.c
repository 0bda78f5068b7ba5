/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <fcntl.h>

uintptr_t STUB_open(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)
{
  return (uintptr_t)open((FAR const char *)parm1, (int)parm2, (mode_t)parm3);
}
