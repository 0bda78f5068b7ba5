/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <unistd.h>

uintptr_t STUB__exit(int nbr, uintptr_t parm1)
{
  _exit((int)parm1);
}
