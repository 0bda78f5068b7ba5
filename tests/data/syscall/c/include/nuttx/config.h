/* The configuration of the C round trip: what a NuttX tree's
 * nuttx/config.h and nuttx/compiler.h would give the generated files.
 */

#ifndef __NUTTX_CONFIG_H
#define __NUTTX_CONFIG_H

#define FAR
#define CONFIG_RT_ENABLED 1
#define CONFIG_SYS_RESERVED 8

#endif
