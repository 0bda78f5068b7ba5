/* The host links user and kernel into one program, where a proxy and the
 * real function cannot both be called rt_*: user-side code (the proxies and
 * main.c) is compiled with -include user_names.h.
 */

#define rt_arity0 user_rt_arity0
#define rt_arity1 user_rt_arity1
#define rt_arity2 user_rt_arity2
#define rt_arity3 user_rt_arity3
#define rt_arity4 user_rt_arity4
#define rt_arity5 user_rt_arity5
#define rt_arity6 user_rt_arity6
#define rt_variadic user_rt_variadic
#define rt_variadic_default user_rt_variadic_default
#define rt_array user_rt_array
#define rt_union user_rt_union
#define rt_union_variadic user_rt_union_variadic
#define rt_funcptr user_rt_funcptr
#define rt_exit user_rt_exit
#define rt_void user_rt_void
#define rt_enabled user_rt_enabled
#define rt_disabled user_rt_disabled
#define rt_read user_rt_read
#define rt_write user_rt_write
#define rt_open user_rt_open
#define rt_gettime user_rt_gettime
#define rt_sleep user_rt_sleep
