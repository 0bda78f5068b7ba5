/* Generated from syscall.csv by mcu-build; do not edit. */

#include <nuttx/config.h>
#include <unistd.h>
#include <syscall.h>

#if defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0

int pipe2(int parm1[2], int parm2)
{
  return (int)sys_call2((unsigned int)SYS_pipe2, (uintptr_t)parm1, (uintptr_t)parm2);
}

#endif /* defined(CONFIG_PIPES) && CONFIG_DEV_PIPE_SIZE > 0 */
