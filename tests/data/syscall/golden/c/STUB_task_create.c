/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <sched.h>

#if !defined(CONFIG_BUILD_KERNEL)

uintptr_t STUB_task_create(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3, uintptr_t parm4, uintptr_t parm5)
{
  return (uintptr_t)task_create((FAR const char *)parm1, (int)parm2, (int)parm3, (main_t)parm4, (FAR char * const *)parm5);
}

#endif /* !defined(CONFIG_BUILD_KERNEL) */
