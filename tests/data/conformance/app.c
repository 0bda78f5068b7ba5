/* A Cortex-M image with every kind of content a flash image has: code,
 * read-only data, .data that runs in SRAM but is stored in flash, .bss,
 * and a separate configuration block that leaves a gap in flash. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

uint32_t counter = 0x12345678;                       /* .data */
uint8_t scratch[256];                                /* .bss  */
const char banner[] = "mcu-build conformance image"; /* .rodata */
__attribute__((section(".config"), used))
const uint32_t config[4] = {0xC0FFEE00, 1, 2, 3};    /* gap before it */

void reset_handler(void) {
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    for (;;) counter += banner[counter % sizeof banner] + scratch[0];
}

__attribute__((section(".vectors"), used))
void (*const vectors[2])(void) = {(void (*)(void))&_estack, reset_handler};
