/* The user blob's header: a struct userspace_s at the start of uflash
 * (section .userspace, first in user-space.ld), filled from the linker's
 * symbols the way NuttX's boards fill theirs (lm3s6965-ek's
 * kernel/lm_userspace.c). The kernel reads it at CONFIG_NUTTX_USERSPACE.
 */

#include <stdint.h>

#include <fixture/userlib.h>
#include <fixture/userspace.h>

/* memory.ld puts uflash here; the header must be where the kernel looks. */
#if CONFIG_NUTTX_USERSPACE != 0x00020000
#  error "CONFIG_NUTTX_USERSPACE must be 0x00020000 to match memory.ld"
#endif

/* Linker symbols (user-space.ld). */
extern uint8_t _stext[], _etext[], _eronly[], _sdata[], _edata[];
extern uint8_t _sbss[], _ebss[];

struct userspace_data_s g_userspace_data;

__attribute__((section(".userspace"), used))
const struct userspace_s userspace =
{
  .us_entrypoint  = ostest_main,
  .us_textstart   = (uintptr_t)_stext,
  .us_textend     = (uintptr_t)_etext,
  .us_datasource  = (uintptr_t)_eronly,
  .us_datastart   = (uintptr_t)_sdata,
  .us_dataend     = (uintptr_t)_edata,
  .us_bssstart    = (uintptr_t)_sbss,
  .us_bssend      = (uintptr_t)_ebss,
  .us_data        = &g_userspace_data,
  .task_startup   = task_startup,
#ifdef CONFIG_ENABLE_ALL_SIGNALS
  .signal_handler = user_signal_handler,
#endif
#ifdef CONFIG_LIBC_USRWORK
  .work_usrstart  = work_usrstart,
#endif
};
