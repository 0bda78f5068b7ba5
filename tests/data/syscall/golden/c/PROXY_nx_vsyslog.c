/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <nuttx/syslog/syslog.h>
#include <syscall.h>

#if !defined(CONFIG_SYSLOG_TO_SCHED_NOTE)

int nx_vsyslog(int parm1, FAR const IPTR char * parm2, FAR va_list * parm3)
{
  return (int)sys_call3((unsigned int)SYS_nx_vsyslog, (uintptr_t)parm1, (uintptr_t)parm2, (uintptr_t)parm3);
}

#endif /* !defined(CONFIG_SYSLOG_TO_SCHED_NOTE) */
