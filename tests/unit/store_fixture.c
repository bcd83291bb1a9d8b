/* store_fixture.c - the store tests' shared fixture (store_fixture.h). */
#include "cmocka_all.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"

int store_fx_setup(void **state)
{
    store_fixture_t *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/hubstore.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

int store_fx_teardown(void **state)
{
    store_fixture_t *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char path[320];

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

hub_store_t *store_fx_open(const store_fixture_t *fx)
{
    hub_error_t err = {""};
    hub_store_t *st = hub_store_open(fx->dir, &err);

    if (!st)
        fail_msg("hub_store_open: %s", err.text);
    return st;
}

void store_fx_commit(hub_store_t *st)
{
    hub_error_t err = {""};
    hub_store_batch_t *b = hub_store_take_batch(st);
    int rc = hub_store_commit(st, b, &err);

    if (rc != 0)
        fail_msg("hub_store_commit: %s", err.text);
    hub_store_batch_destroy(b);
}
