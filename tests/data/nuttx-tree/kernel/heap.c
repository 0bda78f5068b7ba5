/* The kernel and user heaps of a protected build with a kernel heap
 * (CONFIG_MM_KERNEL_HEAP), computed as NuttX's tiva_allocateheap.c does:
 * the user heap is the largest power of two that fits between
 * us_bssend + CONFIG_MM_KERNEL_HEAPSIZE and the end of SRAM, placed at the
 * end of SRAM so that one MPU region covers it exactly; the kernel heap is
 * everything from us_bssend up to the user heap (so at least
 * CONFIG_MM_KERNEL_HEAPSIZE bytes).
 */

#include <stdint.h>

#include "kernel.h"
#include "mpu.h"

#if !defined(CONFIG_BUILD_PROTECTED) || !defined(CONFIG_MM_KERNEL_HEAP)
#  error "the fixture is a protected build with a kernel heap"
#endif

void heaps_allocate(struct heaps *heaps)
{
  uintptr_t bssend = USERSPACE->us_bssend;
  uintptr_t ubase = bssend + CONFIG_MM_KERNEL_HEAPSIZE;
  uint32_t usize;
  unsigned log2;

  if (ubase >= CONFIG_RAM_END)
    {
      panic("heap: us_bssend 0x%08x + CONFIG_MM_KERNEL_HEAPSIZE %u leaves "
            "no user heap below 0x%08x", (unsigned)bssend,
            (unsigned)CONFIG_MM_KERNEL_HEAPSIZE, (unsigned)CONFIG_RAM_END);
    }

  usize = CONFIG_RAM_END - ubase;
  log2 = mpu_log2regionfloor(usize);

  /* NuttX assumes the end of SRAM is aligned to the user heap's size. */
  if ((CONFIG_RAM_END & ((1u << log2) - 1)) != 0)
    {
      panic("heap: RAM end 0x%08x is not aligned to the user heap's size "
            "0x%08x", (unsigned)CONFIG_RAM_END, 1u << log2);
    }

  usize = 1u << log2;
  ubase = CONFIG_RAM_END - usize;

  heaps->kernel_start = bssend;
  heaps->kernel_end = ubase;
  heaps->user_start = ubase;
  heaps->user_end = CONFIG_RAM_END;
}
