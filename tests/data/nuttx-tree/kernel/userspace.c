/* The user blob's header at CONFIG_NUTTX_USERSPACE: checked, then used to
 * initialize user .data and .bss as NuttX's tiva_userspace.c does (.bss
 * zeroed, .data copied from us_datasource).
 */

#include <stdint.h>

#include "kernel.h"

/* The user blob's flash, as memory.ld places it: uflash is 128 KiB. */
#define UFLASH_END (CONFIG_NUTTX_USERSPACE + 128 * 1024)

/* A code pointer of the header must be a Thumb address (bit 0 set) inside
 * user text.
 */
static void check_code(const char *field, uintptr_t address)
{
  const struct userspace_s *us = USERSPACE;

  if ((address & 1) == 0 || address < us->us_textstart ||
      address >= us->us_textend)
    {
      panic("userspace header at 0x%08x: %s 0x%08x is not Thumb code in "
            "user text 0x%08x..0x%08x", CONFIG_NUTTX_USERSPACE, field,
            (unsigned)address, (unsigned)us->us_textstart,
            (unsigned)us->us_textend);
    }
}

/* A range [start, end) of the header must be ordered and lie inside
 * [low, high).
 */
static void check_range(const char *name, uintptr_t start, uintptr_t end,
                        uintptr_t low, uintptr_t high)
{
  if (start > end || start < low || end > high)
    {
      panic("userspace header at 0x%08x: %s 0x%08x..0x%08x is not inside "
            "0x%08x..0x%08x", CONFIG_NUTTX_USERSPACE, name, (unsigned)start,
            (unsigned)end, (unsigned)low, (unsigned)high);
    }
}

void userspace_check(void)
{
  const struct userspace_s *us = USERSPACE;
  uintptr_t data = (uintptr_t)us->us_data;

  /* An erased or missing blob reads as all ones or all zeros: the text
   * range check catches both.
   */
  check_range("text", us->us_textstart, us->us_textend,
              CONFIG_NUTTX_USERSPACE + sizeof(*us), UFLASH_END);
  check_range("data source", us->us_datasource,
              us->us_datasource + (us->us_dataend - us->us_datastart),
              us->us_textend, UFLASH_END);
  check_range("data", us->us_datastart, us->us_dataend, CONFIG_RAM_START,
              CONFIG_RAM_END);
  check_range("bss", us->us_bssstart, us->us_bssend, CONFIG_RAM_START,
              CONFIG_RAM_END);
  check_code("us_entrypoint", (uintptr_t)us->us_entrypoint);
  check_code("task_startup", (uintptr_t)us->task_startup);
#ifdef CONFIG_ENABLE_ALL_SIGNALS
  check_code("signal_handler", (uintptr_t)us->signal_handler);
#endif
#ifdef CONFIG_LIBC_USRWORK
  check_code("work_usrstart", (uintptr_t)us->work_usrstart);
#endif

  /* The kernel writes the heap's place into *us_data: it must be user
   * memory, or the user blob could make the kernel write anywhere.
   */
  if (!((data >= us->us_datastart &&
         data + sizeof(*us->us_data) <= us->us_dataend) ||
        (data >= us->us_bssstart &&
         data + sizeof(*us->us_data) <= us->us_bssend)))
    {
      panic("userspace header at 0x%08x: us_data 0x%08x is not in user "
            ".data or .bss", CONFIG_NUTTX_USERSPACE, (unsigned)data);
    }

  kprintf("userspace: header 0x%08x size %u entry 0x%08x text 0x%08x..0x%08x "
          "data 0x%08x..0x%08x from 0x%08x bss 0x%08x..0x%08x\n",
          CONFIG_NUTTX_USERSPACE, (unsigned)sizeof(*us),
          (unsigned)(uintptr_t)us->us_entrypoint, (unsigned)us->us_textstart,
          (unsigned)us->us_textend, (unsigned)us->us_datastart,
          (unsigned)us->us_dataend, (unsigned)us->us_datasource,
          (unsigned)us->us_bssstart, (unsigned)us->us_bssend);
}

void userspace_init(void)
{
  const struct userspace_s *us = USERSPACE;
  const uint8_t *src = (const uint8_t *)us->us_datasource;
  uint8_t *dest;

  for (dest = (uint8_t *)us->us_bssstart; dest < (uint8_t *)us->us_bssend; )
    {
      *dest++ = 0;
    }

  for (dest = (uint8_t *)us->us_datastart;
       dest < (uint8_t *)us->us_dataend; )
    {
      *dest++ = *src++;
    }
}
