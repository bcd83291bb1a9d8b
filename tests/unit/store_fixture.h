/* store_fixture.h - the SQLite store tests' shared fixture: a fresh
 * state directory per test, and opening and committing that fail the
 * test with the store's message. */
#ifndef HUB_TEST_STORE_FIXTURE_H
#define HUB_TEST_STORE_FIXTURE_H

#include "store.h"

typedef struct store_fixture {
    char dir[64];
} store_fixture_t;

/* cmocka group setup/teardown: *state is a store_fixture_t whose dir is
 * a new empty directory under /tmp, removed with its files afterwards. */
int store_fx_setup(void **state);
int store_fx_teardown(void **state);

/* hub_store_open(fx->dir), or fail the test. */
hub_store_t *store_fx_open(const store_fixture_t *fx);

/* Commit what st's open batch holds, or fail the test. */
void store_fx_commit(hub_store_t *st);

#endif
