/* The user side of the fixture's system calls (include/fixture/syscall.h)
 * and the console output built on them.
 */

#include <stddef.h>
#include <stdint.h>

#include <fixture/syscall.h>
#include <fixture/userlib.h>

void user_puts(const char *s)
{
  size_t length = 0;

  while (s[length] != '\0')
    {
      length++;
    }

  sys_call2(SYS_write, (uintptr_t)s, length);
}

void user_puthex(uint32_t value)
{
  char text[11] = "0x";
  int i;

  for (i = 9; i >= 2; i--, value >>= 4)
    {
      text[i] = "0123456789abcdef"[value & 0xf];
    }

  text[10] = '\0';
  user_puts(text);
}

void user_exit(int status)
{
  sys_call2(SYS_exit, (uintptr_t)status, 0);

  /* SYS_exit does not return; if a kernel ever did, stay here. */
  for (; ; )
    {
    }
}
