/* The MPU set-up of a protected NuttX build on ARMv7-M, reimplemented:
 * regions and their arithmetic as in NuttX's arch/arm/src/armv7-m/arm_mpu.c
 * and mpu.h (mpu_user_flash, mpu_user_intsram), chosen and ordered as in
 * tiva_mpuinit.c:
 *
 *   region 0: user text      [us_textstart, us_textend), user read-only
 *   region 1: user data+bss  [min(datastart, bssstart), max(dataend,
 *                            bssend)), user read-write
 *   then the MPU is enabled with PRIVDEFENA (the kernel keeps the default
 *   memory map; the user has only these regions), and later
 *   region 2: the user heap  (mpu_user_uheap, from the heap split)
 *
 * Each region is the smallest power of two, aligned to its size, that
 * holds the range, with the sub-regions (eighths) that hold none of it
 * disabled. Every programmed region is printed as
 * "mpu: region N rbar 0x........ rasr 0x........" with the values read
 * back from the MPU (RBAR reads back ADDR | REGION; VALID reads as zero).
 */

#include <stdint.h>

#include "kernel.h"
#include "mpu.h"

#ifndef CONFIG_ARM_MPU
#  error "the fixture protects the kernel with the MPU (CONFIG_ARM_MPU)"
#endif

/* The attributes of mpu.h's mpu_user_flash and mpu_user_intsram: strongly
 * ordered (TEX 0) and cacheable; the SRAM also shareable.
 */
#define USER_FLASH_FLAGS   (MPU_RASR_C | MPU_RASR_AP_RORO)
#define USER_INTSRAM_FLAGS (MPU_RASR_C | MPU_RASR_S | MPU_RASR_AP_RWRW)

/* Allocated regions, one bit each; region numbers are handed out from 0
 * upward, the lowest free one first.
 */
static uint32_t g_mpu_region;

unsigned mpu_log2regionceil(uint32_t size)
{
  unsigned l2 = 5;

  while (l2 < 32 && size > (1u << l2))
    {
      l2++;
    }

  return l2;
}

unsigned mpu_log2regionfloor(uint32_t size)
{
  unsigned l2 = mpu_log2regionceil(size);

  if (l2 > 4 && l2 < 32 && size < (1u << l2))
    {
      l2--;
    }

  return l2;
}

/* The sub-region disable mask of a 2^l2 region based at `base & ~(2^l2-1)`
 * holding [base, base + size): the eighths wholly below the range and
 * wholly above it are disabled. Sub-regions do not exist below 256 bytes.
 */
static uint32_t mpu_subregion(uintptr_t base, uint32_t size, unsigned l2)
{
  uint32_t eighth_mask;
  uint32_t offset;
  uint32_t end;
  unsigned first;
  unsigned last;

  if (l2 < 8)
    {
      return 0;
    }

  eighth_mask = ((1u << l2) - 1) >> 3;
  offset = base & ((1u << l2) - 1);

  /* Eighths in use: from the one holding `offset` up to the one holding
   * the range's last byte (end rounded up to an eighth).
   */
  end = (offset + size + eighth_mask) & ~eighth_mask;
  first = (offset & ~eighth_mask) >> (l2 - 3);
  last = end >> (l2 - 3);
  return ((0xffu << last) | ((1u << first) - 1)) & 0xff;
}

static unsigned mpu_allocregion(void)
{
  unsigned region = (unsigned)__builtin_ctz(~g_mpu_region);

  if (region >= CONFIG_ARM_MPU_NREGIONS ||
      region >= MPU_TYPE_DREGION(getreg32(MPU_TYPE)))
    {
      panic("mpu: no free region (CONFIG_ARM_MPU_NREGIONS %u)",
            (unsigned)CONFIG_ARM_MPU_NREGIONS);
    }

  g_mpu_region |= 1u << region;
  return region;
}

/* Programs the next free region to cover [base, base + size). */
static void mpu_configure_region(uintptr_t base, uint32_t size,
                                 uint32_t flags)
{
  unsigned region = mpu_allocregion();
  uintptr_t alignedbase = base & MPU_RBAR_ADDR_MASK;
  unsigned l2;

  /* Round the base down to the region size, which may grow by doing so:
   * twice, exactly as arm_mpu.c's mpu_modify_region does.
   */
  l2 = mpu_log2regionceil(size + base - alignedbase);
  alignedbase &= ~((1u << l2) - 1);
  l2 = mpu_log2regionceil(size + base - alignedbase);

  /* A 4 GiB region holds nothing the fixture maps. */
  if (l2 > 31)
    {
      panic("mpu: region %u for 0x%08x..+0x%08x would span 4 GiB", region,
            (unsigned)base, (unsigned)size);
    }

  /* NuttX asserts this (DEBUGASSERT); the hardware ignores a misaligned
   * region, so the fixture stops instead of running unprotected.
   */
  if (alignedbase & ((1u << l2) - 1))
    {
      panic("mpu: region %u base 0x%08x is not aligned to its size 0x%08x",
            region, (unsigned)alignedbase, 1u << l2);
    }

  putreg32(region, MPU_RNR);
  putreg32(alignedbase | region | MPU_RBAR_VALID, MPU_RBAR);
  putreg32(MPU_RASR_ENABLE | MPU_RASR_SIZE(l2) |
           MPU_RASR_SRD(mpu_subregion(base, size, l2)) | flags, MPU_RASR);
  __asm__ volatile("dsb\n\tisb" ::: "memory");

  kprintf("mpu: region %u rbar 0x%08x rasr 0x%08x\n", region,
          (unsigned)getreg32(MPU_RBAR), (unsigned)getreg32(MPU_RASR));
}

void mpu_init(void)
{
  const struct userspace_s *us = USERSPACE;
  uintptr_t datastart = us->us_datastart < us->us_bssstart ?
                        us->us_datastart : us->us_bssstart;
  uintptr_t dataend = us->us_dataend > us->us_bssend ?
                      us->us_dataend : us->us_bssend;

  if (MPU_TYPE_DREGION(getreg32(MPU_TYPE)) == 0)
    {
      panic("mpu: this CPU has no MPU (MPU_TYPE 0x%08x)",
            (unsigned)getreg32(MPU_TYPE));
    }

  mpu_configure_region(us->us_textstart, us->us_textend - us->us_textstart,
                       USER_FLASH_FLAGS);
  mpu_configure_region(datastart, dataend - datastart, USER_INTSRAM_FLAGS);

  putreg32(MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA, MPU_CTRL);
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  kprintf("mpu: enabled, ctrl 0x%08x\n", (unsigned)getreg32(MPU_CTRL));
}

/* The user heap's region (tiva_mpuinit.c's tiva_mpu_uheap). */
void mpu_user_uheap(uintptr_t base, uint32_t size)
{
  mpu_configure_region(base, size, USER_INTSRAM_FLAGS);
}
