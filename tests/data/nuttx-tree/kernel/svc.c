/* The first user task and the system calls it makes.
 *
 * NuttX starts a user task in unprivileged thread mode on the process
 * stack, at the blob's task_startup(us_entrypoint, argc, argv), which runs
 * main and passes its status to exit(). The switch is an exception return:
 * the kernel makes a SYS_task_start system call whose handler drops
 * privilege and returns to task_startup on the process stack
 * (arm_task_start.c and arm_svcall.c in arch/arm/src/armv7-m). The
 * fixture's only task is "ostest"; its exit prints the line NuttX's ostest
 * prints when it ends, and the kernel then idles forever (NuttX never
 * exits QEMU).
 */

#include <stdint.h>

#include <fixture/syscall.h>

#include "kernel.h"

#define SHCSR             0xe000ed24 /* System Handler Control and State */
#define SHCSR_MEMFAULTENA (1 << 16)
#define CONTROL_NPRIV     (1 << 0)   /* Thread mode is unprivileged */
#define XPSR_THUMB        (1 << 24)

void task_start(uintptr_t stack_top)
{
  uint32_t *frame = (uint32_t *)stack_top - FRAME_WORDS;

  /* A user access the MPU denies is a MemManage fault, not a HardFault. */
  putreg32(getreg32(SHCSR) | SHCSR_MEMFAULTENA, SHCSR);

  /* What the exception return unstacks: task_startup(us_entrypoint,
   * argc 0, argv NULL), in Thumb state; task_startup never returns.
   */
  frame[FRAME_R0] = (uint32_t)(uintptr_t)USERSPACE->us_entrypoint;
  frame[FRAME_R1] = 0;
  frame[FRAME_R2] = 0;
  frame[FRAME_R3] = 0;
  frame[FRAME_R12] = 0;
  frame[FRAME_LR] = 0;
  frame[FRAME_PC] = (uint32_t)(uintptr_t)USERSPACE->task_startup & ~1u;
  frame[FRAME_XPSR] = XPSR_THUMB;

  kprintf("task: ostest entry 0x%08x stack top 0x%08x, unprivileged\n",
          (unsigned)frame[FRAME_R0], (unsigned)stack_top);

  /* Set only now: a call in between could clobber r0. */
  register uintptr_t r0 __asm__("r0") = SYS_task_start;
  __asm__ volatile("msr psp, %0\n\t"
                   "svc #0"
                   :
                   : "r"(frame), "r"(r0)
                   : "memory");
  panic("svc: SYS_task_start returned");
}

/* The SVC handler proper: `frame` is the exception frame the caller's
 * svc pushed; r0 is the call's number and gets its result.
 */
uint32_t arm_syscall(uint32_t *frame, uint32_t exc_return)
{
  switch (frame[FRAME_R0])
    {
      case SYS_write:
        /* The kernel reads the user's buffer with privilege; like NuttX's
         * write(), it does not check the buffer against the MPU.
         */
        console_write((const char *)frame[FRAME_R1], frame[FRAME_R2]);
        frame[FRAME_R0] = frame[FRAME_R2];
        return exc_return;

      case SYS_exit:
        kprintf("ostest_main: Exiting with status %d\n",
                (int)frame[FRAME_R1]);
        idle_forever();

      case SYS_task_start:
        /* Only the kernel, on its main stack, may start a task. */
        if (exc_return & EXC_RETURN_SPSEL)
          {
            panic("svc: SYS_task_start from user mode");
          }

        /* Thread mode becomes unprivileged; the return unstacks the frame
         * task_start put on the process stack.
         */
        __asm__ volatile("msr control, %0\n\tisb"
                         :
                         : "r"(CONTROL_NPRIV)
                         : "memory");
        return EXC_RETURN_THREAD_PSP;

      default:
        panic("svc: unknown system call %u", (unsigned)frame[FRAME_R0]);
    }
}

/* SVCall. */
EXCEPTION_FRAME_HANDLER(arm_svcall, arm_syscall)
