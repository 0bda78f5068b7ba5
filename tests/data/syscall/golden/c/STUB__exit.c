/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <stdint.h>
#include <unistd.h>

uintptr_t STUB__exit(int nbr, uintptr_t parm1)
{
  _exit((int)parm1);
}
