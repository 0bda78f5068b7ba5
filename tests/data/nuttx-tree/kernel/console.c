/* The console: UART0 of the LM3S6965, a PL011 at 0x4000c000. QEMU's model
 * needs no clock gating, baud rate or pin set-up, so enabling the UART and
 * its transmitter is enough.
 */

#include <stdarg.h>
#include <stdint.h>

#include "kernel.h"

#define UART0_BASE   0x4000c000
#define UART_DR      (UART0_BASE + 0x00) /* Data */
#define UART_FR      (UART0_BASE + 0x18) /* Flags */
#define UART_CR      (UART0_BASE + 0x30) /* Control */
#define UART_FR_TXFF (1 << 5)            /* Transmit FIFO full */
#define UART_CR_UARTEN (1 << 0)
#define UART_CR_TXE  (1 << 8)

void console_init(void)
{
  putreg32(UART_CR_UARTEN | UART_CR_TXE, UART_CR);
}

static void console_putc(char c)
{
  while (getreg32(UART_FR) & UART_FR_TXFF)
    {
    }

  putreg32((uint8_t)c, UART_DR);
}

void console_write(const char *buffer, uint32_t length)
{
  while (length-- > 0)
    {
      console_putc(*buffer++);
    }
}

/* An unsigned number in `base` (10 or 16), at least `width` digits wide,
 * padded with `pad`.
 */
static void print_number(uint32_t value, unsigned base, unsigned width,
                         char pad)
{
  char digits[10];
  unsigned count = 0;

  do
    {
      digits[count++] = "0123456789abcdef"[value % base];
      value /= base;
    }
  while (value != 0);

  for (; width > count; width--)
    {
      console_putc(pad);
    }

  while (count > 0)
    {
      console_putc(digits[--count]);
    }
}

/* The subset of printf the kernel's messages use: %s, %c, %d, %u and %x,
 * with an optional zero flag and width (%08x).
 */
static void kvprintf(const char *format, va_list ap)
{
  for (; *format != '\0'; format++)
    {
      char pad = ' ';
      unsigned width = 0;
      const char *s;
      int n;

      if (*format != '%')
        {
          console_putc(*format);
          continue;
        }

      if (*++format == '0')
        {
          pad = '0';
          format++;
        }

      while (*format >= '0' && *format <= '9')
        {
          width = width * 10 + (unsigned)(*format++ - '0');
        }

      switch (*format)
        {
          case 's':
            for (s = va_arg(ap, const char *); *s != '\0'; s++)
              {
                console_putc(*s);
              }
            break;

          case 'c':
            console_putc((char)va_arg(ap, int));
            break;

          case 'd':
            n = va_arg(ap, int);
            if (n < 0)
              {
                console_putc('-');
              }

            print_number(n < 0 ? 0u - (uint32_t)n : (uint32_t)n, 10, width,
                         pad);
            break;

          case 'u':
            print_number(va_arg(ap, unsigned), 10, width, pad);
            break;

          case 'x':
            print_number(va_arg(ap, unsigned), 16, width, pad);
            break;

          case '\0': /* a format ending in '%' */
            return;

          default: /* '%%', and anything the kernel does not use */
            console_putc(*format);
            break;
        }
    }
}

void kprintf(const char *format, ...)
{
  va_list ap;

  va_start(ap, format);
  kvprintf(format, ap);
  va_end(ap);
}

void idle_forever(void)
{
  for (; ; )
    {
      __asm__ volatile("wfi");
    }
}

void panic_at(const char *file, int line, const char *format, ...)
{
  va_list ap;

  kprintf("Assertion failed panic: at file: %s:%d: ", file, line);
  va_start(ap, format);
  kvprintf(format, ap);
  va_end(ap);
  kprintf("\n");
  idle_forever();
}
