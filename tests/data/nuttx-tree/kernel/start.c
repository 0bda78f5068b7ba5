/* Reset: the vector table and the boot sequence of a protected build, in
 * the order NuttX follows on the Tiva chips (tiva_start.c, then nx_start):
 * kernel .data and .bss, console, user .data and .bss, the user MPU regions
 * and the MPU enabled, the heaps (the user heap gets the next region), and
 * the first user task.
 */

#include <stdint.h>

#include "kernel.h"

/* Linker symbols (kernel-space.ld). */
extern uint8_t _sdata[], _edata[], _eronly[], _sbss[], _ebss[];

void __start(void) __attribute__((noreturn));
void arm_svcall(void);
void arm_memfault(void);
void arm_hardfault(void);

/* Every exception the fixture does not expect: reported, then stopped. */
static void unexpected_exception(void)
{
  uint32_t ipsr;

  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  panic("unexpected exception %u", (unsigned)(ipsr & 0x1ff));
}

/* The Cortex-M3 vector table: the initial main stack pointer (the idle
 * stack, above the kernel's .bss as in NuttX), then the handlers of
 * exceptions 1 to 15. No peripheral interrupt is enabled.
 */
__attribute__((section(".vectors"), used))
static void *const g_vectors[16] =
{
  _ebss + CONFIG_IDLETHREAD_STACKSIZE, /* 0: initial MSP */
  __start,                             /* 1: reset */
  unexpected_exception,                /* 2: NMI */
  arm_hardfault,                       /* 3: HardFault */
  arm_memfault,                        /* 4: MemManage */
  unexpected_exception,                /* 5: BusFault (escalates) */
  unexpected_exception,                /* 6: UsageFault (escalates) */
  0, 0, 0, 0,                          /* 7-10: reserved */
  arm_svcall,                          /* 11: SVCall */
  unexpected_exception,                /* 12: DebugMonitor */
  0,                                   /* 13: reserved */
  unexpected_exception,                /* 14: PendSV */
  unexpected_exception,                /* 15: SysTick */
};

void __start(void)
{
  const uint8_t *src = _eronly;
  uint8_t *dest;
  struct heaps heaps;

  for (dest = _sdata; dest < _edata; )
    {
      *dest++ = *src++;
    }

  for (dest = _sbss; dest < _ebss; )
    {
      *dest++ = 0;
    }

  console_init();
  kprintf("NuttX-shaped fixture kernel (board %s, not NuttX)\n",
          CONFIG_ARCH_BOARD);

  userspace_check();
  userspace_init();
  mpu_init();
  heaps_allocate(&heaps);
  kprintf("heap: kernel 0x%08x..0x%08x user 0x%08x..0x%08x\n",
          (unsigned)heaps.kernel_start, (unsigned)heaps.kernel_end,
          (unsigned)heaps.user_start, (unsigned)heaps.user_end);
  mpu_user_uheap(heaps.user_start, heaps.user_end - heaps.user_start);

  /* Tell the user blob where its heap is, as NuttX initializes the user
   * heap through us_data.
   */
  USERSPACE->us_data->us_heapstart = heaps.user_start;
  USERSPACE->us_data->us_heapsize = heaps.user_end - heaps.user_start;

  /* The first task's stack is the top of the user heap (NuttX allocates
   * user stacks from the user heap).
   */
  task_start(heaps.user_end);
}
