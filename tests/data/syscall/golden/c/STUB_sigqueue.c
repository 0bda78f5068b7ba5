/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
#include <string.h>
#endif
#include <signal.h>

#if !defined(CONFIG_DISABLE_ALL_SIGNALS)

uintptr_t STUB_sigqueue(int nbr, uintptr_t parm1, uintptr_t parm2, uintptr_t parm3)
{
  union sigval _parm3;
#ifdef CONFIG_ARCH_TOOLCHAIN_TASKING
  memcpy((FAR void *)&_parm3, (FAR void *)&parm3,
         sizeof(uintptr_t));
#else
  _parm3 = (union sigval)((FAR void *)parm3);
#endif
  return (uintptr_t)sigqueue((int)parm1, (int)parm2, _parm3);
}

#endif /* !defined(CONFIG_DISABLE_ALL_SIGNALS) */
