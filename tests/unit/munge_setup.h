/* munge_setup.h - for tests that need MUNGE: make sure munged answers. */
#ifndef HUB_TEST_MUNGE_SETUP_H
#define HUB_TEST_MUNGE_SETUP_H

#include <stddef.h>

/* 0 when credentials can be made: munged answers, or it did not and we
 * are root and started it as the recipe says (it then keeps running, as
 * the system's munged would). Otherwise 77 (the automake skip status)
 * with the reason in why. */
int test_munge_ready(char *why, size_t len);

#endif
