/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <unistd.h>

#if defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0

uintptr_t STUB_pipe2(int nbr, uintptr_t parm1, uintptr_t parm2)
{
  return (uintptr_t)pipe2((FAR int *)parm1, (int)parm2);
}

#endif /* defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0 */
