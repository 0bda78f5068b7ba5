/* Faults: a user access the MPU denies raises MemManage (enabled in
 * svc.c); anything else ends up in HardFault. Like NuttX (arm_memfault.c,
 * arm_hardfault.c), the kernel dumps the fault status registers, with the
 * faulting address (MMFAR) when it is valid, and then asserts: an
 * "Assertion failed" line, and the system idles forever.
 */

#include <stdint.h>

#include "kernel.h"

#define CFSR  0xe000ed28 /* Configurable Fault Status */
#define HFSR  0xe000ed2c /* HardFault Status */
#define MMFAR 0xe000ed34 /* MemManage Fault Address */

#define CFSR_IACCVIOL  (1 << 0) /* Instruction access violation */
#define CFSR_DACCVIOL  (1 << 1) /* Data access violation */
#define CFSR_MMARVALID (1 << 7) /* MMFAR holds the faulting address */

uint32_t arm_memfault_frame(const uint32_t *frame, uint32_t exc_return)
{
  uint32_t cfsr = getreg32(CFSR);
  const char *kind = (cfsr & CFSR_IACCVIOL) ? "instruction" :
                     (cfsr & CFSR_DACCVIOL) ? "data" : "stacking";

  (void)exc_return; /* the fault is fatal: no return */

  if (cfsr & CFSR_MMARVALID)
    {
      uint32_t address = getreg32(MMFAR);

      kprintf("arm_memfault: MemManage fault: CFSR 0x%08x MMFAR 0x%08x "
              "pc 0x%08x\n", (unsigned)cfsr, (unsigned)address,
              (unsigned)frame[FRAME_PC]);
      panic("%s access violation at 0x%08x", kind, (unsigned)address);
    }

  kprintf("arm_memfault: MemManage fault: CFSR 0x%08x pc 0x%08x\n",
          (unsigned)cfsr, (unsigned)frame[FRAME_PC]);
  panic("%s access violation at pc 0x%08x", kind,
        (unsigned)frame[FRAME_PC]);
}

uint32_t arm_hardfault_frame(const uint32_t *frame, uint32_t exc_return)
{
  (void)exc_return; /* the fault is fatal: no return */
  kprintf("arm_hardfault: HardFault: HFSR 0x%08x CFSR 0x%08x pc 0x%08x\n",
          (unsigned)getreg32(HFSR), (unsigned)getreg32(CFSR),
          (unsigned)frame[FRAME_PC]);
  panic("HardFault at pc 0x%08x", (unsigned)frame[FRAME_PC]);
}

EXCEPTION_FRAME_HANDLER(arm_memfault, arm_memfault_frame)
EXCEPTION_FRAME_HANDLER(arm_hardfault, arm_hardfault_frame)
