/* What the kernel's files offer each other. */

#ifndef KERNEL_H
#define KERNEL_H

#include <stdint.h>

#include <fixture/userspace.h>

/* One past the last byte of SRAM, as NuttX derives it. */
#define CONFIG_RAM_END (CONFIG_RAM_START + CONFIG_RAM_SIZE)

/* Memory-mapped registers. */
#define getreg32(a)    (*(volatile uint32_t *)(a))
#define putreg32(v, a) (*(volatile uint32_t *)(a) = (v))

/* Defines the exception handler `name`, which calls
 * `uint32_t handler(uint32_t *frame, uint32_t exc_return)` with the
 * exception frame (r0-r3, r12, lr, pc, xpsr, as the exception pushed them)
 * and the EXC_RETURN value it was entered with, and returns through the
 * EXC_RETURN value the handler returns. Bit 2 of EXC_RETURN says whether
 * the interrupted code was on the process stack or the main stack.
 */
#define EXCEPTION_FRAME_HANDLER(name, handler) \
  __attribute__((naked)) void name(void) \
  { \
    __asm__ volatile("tst lr, #4\n\t" \
                     "ite eq\n\t" \
                     "mrseq r0, msp\n\t" \
                     "mrsne r0, psp\n\t" \
                     "mov r1, lr\n\t" \
                     "bl " #handler "\n\t" \
                     "bx r0"); \
  }

/* The exception frame of ARMv7-M, by word. */
enum { FRAME_R0, FRAME_R1, FRAME_R2, FRAME_R3, FRAME_R12, FRAME_LR,
       FRAME_PC, FRAME_XPSR, FRAME_WORDS };

/* EXC_RETURN: back to thread mode on the process stack. */
#define EXC_RETURN_THREAD_PSP 0xfffffffd
#define EXC_RETURN_SPSEL      (1 << 2)

/* console.c: the UART0 console. */
void console_init(void);
void kprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *buffer, uint32_t length);

/* Stops the system after a fatal condition: prints an "Assertion failed"
 * line in NuttX's form (sched/misc/assert.c: "Assertion failed <reason>:
 * at file: <file>:<line> ...") with the reason after it, then idles
 * forever, as NuttX does (it never exits QEMU).
 */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *format, ...)
  __attribute__((format(printf, 3, 4), noreturn));

/* Idles forever. */
void idle_forever(void) __attribute__((noreturn));

/* userspace.c: the user blob's header. */
void userspace_check(void);
void userspace_init(void);

/* heap.c: the kernel and user heaps. */
struct heaps
{
  uintptr_t kernel_start; /* [kernel_start, kernel_end) */
  uintptr_t kernel_end;
  uintptr_t user_start;   /* [user_start, user_end) */
  uintptr_t user_end;
};

void heaps_allocate(struct heaps *heaps);

/* mpu.c: the ARMv7-M MPU. */
void mpu_init(void);
void mpu_user_uheap(uintptr_t base, uint32_t size);

/* svc.c: the first user task. */
void task_start(uintptr_t stack_top) __attribute__((noreturn));

#endif /* KERNEL_H */
