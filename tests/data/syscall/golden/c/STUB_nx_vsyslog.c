/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <nuttx/syslog/syslog.h>

#if !defined(CONFIG_SYSLOG_TO_SCHED_NOTE)

uintptr_t STUB_nx_vsyslog(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)
{
  return (uintptr_t)nx_vsyslog((int)parm1, (FAR const IPTR char *)parm2, (FAR va_list *)parm3);
}

#endif /* !defined(CONFIG_SYSLOG_TO_SCHED_NOTE) */
