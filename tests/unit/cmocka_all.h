/* cmocka_all.h - the headers cmocka needs, in the order it needs them. */
#ifndef HUB_CMOCKA_ALL_H
#define HUB_CMOCKA_ALL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
