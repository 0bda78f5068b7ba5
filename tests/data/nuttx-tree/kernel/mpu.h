/* The ARMv7-M MPU: registers (ARMv7-M ARM, B3.5) and the log2 helpers the
 * heap split shares with the region arithmetic.
 */

#ifndef MPU_H
#define MPU_H

#include <stdint.h>

#define MPU_TYPE  0xe000ed90
#define MPU_CTRL  0xe000ed94
#define MPU_RNR   0xe000ed98
#define MPU_RBAR  0xe000ed9c
#define MPU_RASR  0xe000eda0

#define MPU_TYPE_DREGION(t)  (((t) >> 8) & 0xff)
#define MPU_CTRL_ENABLE      (1 << 0)
#define MPU_CTRL_PRIVDEFENA  (1 << 2)
#define MPU_RBAR_VALID       (1 << 4)
#define MPU_RBAR_ADDR_MASK   0xffffffe0
#define MPU_RASR_ENABLE      (1 << 0)
#define MPU_RASR_SIZE(l2)    (((uint32_t)(l2) - 1) << 1)
#define MPU_RASR_SRD(srd)    ((uint32_t)(srd) << 8)
#define MPU_RASR_C           (1 << 17)    /* Cacheable */
#define MPU_RASR_S           (1 << 18)    /* Shareable */
#define MPU_RASR_AP_RWRW     (3u << 24)   /* Privileged RW, user RW */
#define MPU_RASR_AP_RORO     (6u << 24)   /* Privileged RO, user RO */

/* The smallest l2 >= 5 (regions are at least 32 bytes) with
 * size <= 2^l2, or 32.
 */
unsigned mpu_log2regionceil(uint32_t size);

/* The largest l2 with 2^l2 <= size (for size >= 32). */
unsigned mpu_log2regionfloor(uint32_t size);

#endif /* MPU_H */
