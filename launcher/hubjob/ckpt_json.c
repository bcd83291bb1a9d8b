/* ckpt_json.c - the checkpoint index: each rank's fragment
 * (rank-<r>.json), rank 0's index.json that gathers them, and its parser.
 * No MPI, no HDF5: the fragment and index writers run on the background
 * writer. Schema in doc/hubjob.md, "Checkpoints". */
#include "ckpt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_FORMAT "hubjob-checkpoint"
#define INDEX_VERSION 1

static const char *const dtype_names[] = {
    [HUB_DTYPE_FLOAT32] = "float32", [HUB_DTYPE_BFLOAT16] = "bfloat16",
    [HUB_DTYPE_FLOAT16] = "float16", [HUB_DTYPE_FLOAT64] = "float64",
    [HUB_DTYPE_INT32] = "int32",     [HUB_DTYPE_INT64] = "int64",
    [HUB_DTYPE_UINT8] = "uint8",
};
#define NDTYPES (sizeof(dtype_names) / sizeof(dtype_names[0]))

static const char *const shard_names[] = {
    [HUB_SHARD_REPLICATED] = "replicated",
    [HUB_SHARD_DIM0] = "dim0",
    [HUB_SHARD_PRIVATE] = "private",
};
#define NSHARDS (sizeof(shard_names) / sizeof(shard_names[0]))

const char *ckpt_dtype_name(hub_dtype_t dtype)
{
    return (unsigned)dtype < NDTYPES ? dtype_names[dtype] : "?";
}

const char *ckpt_shard_name(hub_shard_t shard)
{
    return (unsigned)shard < NSHARDS ? shard_names[shard] : "?";
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

int ckpt_dtype_parse(const char *name)
{
    return parse_name(dtype_names, NDTYPES, name);
}

int ckpt_shard_parse(const char *name)
{
    return parse_name(shard_names, NSHARDS, name);
}

static json_t *tensor_json(const struct ckpt_tensor *t)
{
    json_t *dims = json_array();

    for (int d = 0; dims && d < t->ndims; d++)
        json_array_append_new(dims, json_integer((json_int_t)t->dims[d]));
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "name", t->name, "dtype",
                     ckpt_dtype_name(t->dtype), "shard",
                     ckpt_shard_name(t->shard), "dims", dims, "bytes",
                     (json_int_t)t->bytes, "crc32c", (json_int_t)t->crc);
}

static json_t *fragment_json(struct ckpt_state *st, uint64_t file_bytes,
                             const char *msg)
{
    char file[64];
    json_t *tensors;

    if (msg)
        return json_pack("{s:i, s:s}", "rank", st->rank, "error", msg);
    tensors = json_array();
    for (size_t i = 0; tensors && i < st->nt; i++)
        json_array_append_new(tensors, tensor_json(&st->t[i]));
    snprintf(file, sizeof(file), "rank-%d.h5", st->rank);
    return json_pack("{s:i, s:s, s:I, s:o}", "rank", st->rank, "file", file,
                     "file_bytes", (json_int_t)file_bytes, "tensors", tensors);
}

/* Serialise doc (stolen) into <step dir>/<leaf> durably. */
static int put_json(struct ckpt_state *st, const char *leaf, json_t *doc,
                    hub_error_t *err)
{
    char dir[CKPT_PATH_MAX];
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    int rc;

    json_decref(doc);
    if (!text)
        return hub_errorf(err, ENOMEM, "%s: out of memory", leaf);
    ckpt_path(dir, st, st->step, NULL);
    rc = ckpt_put_file(dir, leaf, text, strlen(text), err);
    free(text);
    return rc;
}

int ckpt_json_fragment(struct ckpt_state *st, uint64_t file_bytes,
                       const char *msg, hub_error_t *err)
{
    char leaf[64];

    snprintf(leaf, sizeof(leaf), "rank-%d.json", st->rank);
    return put_json(st, leaf, fragment_json(st, file_bytes, msg), err);
}

/* Load rank r's fragment and append it to ranks; -EIO for an error one. */
static int add_fragment(struct ckpt_state *st, int r, json_t *ranks,
                        hub_error_t *err)
{
    char path[CKPT_PATH_MAX], leaf[64];
    json_error_t jerr;
    json_t *frag, *msg;

    snprintf(leaf, sizeof(leaf), "rank-%d.json", r);
    ckpt_path(path, st, st->step, leaf);
    if (!(frag = json_load_file(path, 0, &jerr)))
        return hub_errorf(err, EIO, "%s: %s", path, jerr.text);
    if ((msg = json_object_get(frag, "error"))) {
        hub_errorf(err, EIO, "rank %d: %s", r, json_string_value(msg));
        json_decref(frag);
        return -EIO;
    }
    return json_array_append_new(ranks, frag) < 0
               ? hub_errorf(err, ENOMEM, "out of memory")
               : 0;
}

int ckpt_json_index(struct ckpt_state *st, hub_error_t *err)
{
    json_t *ranks = json_array();
    int rc = ranks ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    for (int r = 0; rc == 0 && r < st->world; r++)
        rc = add_fragment(st, r, ranks, err);
    if (rc < 0) {
        json_decref(ranks);
        return rc;
    }
    return put_json(st, "index.json",
                    json_pack("{s:s, s:i, s:I, s:i, s:o}", "format",
                              INDEX_FORMAT, "version", INDEX_VERSION, "step",
                              (json_int_t)st->step, "world", st->world, "ranks",
                              ranks),
                    err);
}

/* ---- parsing ------------------------------------------------------------ */

static int parse_entry(json_t *j, struct ckpt_entry *e)
{
    const char *name = NULL, *dtype = NULL, *shard = NULL;
    json_t *dims = NULL, *v;
    json_int_t bytes = -1, crc = -1;
    size_t d;

    if (json_unpack(j, "{s:s, s:s, s:s, s:o, s:I, s:I}", "name", &name, "dtype",
                    &dtype, "shard", &shard, "dims", &dims, "bytes", &bytes,
                    "crc32c", &crc) < 0 ||
        !json_is_array(dims) || json_array_size(dims) > CKPT_MAX_DIMS ||
        ckpt_dtype_parse(dtype) < 0 || ckpt_shard_parse(shard) < 0 ||
        bytes < 0 || crc < 0 || crc > 0xffffffffLL)
        return -1;
    e->dtype = ckpt_dtype_parse(dtype);
    e->shard = ckpt_shard_parse(shard);
    e->ndims = (int)json_array_size(dims);
    json_array_foreach(dims, d, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return -1;
        e->dims[d] = (uint64_t)json_integer_value(v);
    }
    e->bytes = (uint64_t)bytes;
    e->crc = (uint32_t)crc;
    return (e->name = strdup(name)) ? 0 : -1;
}

/* Parse one rank's part; with_tensors false keeps only its file size. */
static int parse_part(json_t *j, struct ckpt_part *p, bool with_tensors)
{
    json_t *tensors = NULL, *v;
    json_int_t file_bytes = -1;
    size_t i;

    if (json_unpack(j, "{s:I, s:o}", "file_bytes", &file_bytes, "tensors",
                    &tensors) < 0 ||
        file_bytes < 0 || !json_is_array(tensors))
        return -1;
    p->file_bytes = (uint64_t)file_bytes;
    if (!with_tensors || json_array_size(tensors) == 0)
        return 0;
    p->e = calloc(json_array_size(tensors), sizeof(*p->e));
    if (!p->e)
        return -1;
    json_array_foreach(tensors, i, v)
    {
        if (parse_entry(v, &p->e[i]) < 0)
            return -1;
        p->n = i + 1;
    }
    return 0;
}

static int parse_index(json_t *doc, int rank, struct ckpt_index *idx)
{
    const char *format = NULL;
    json_t *ranks = NULL, *v;
    json_int_t step = -1;
    int version = 0, world = 0;
    size_t r;

    if (json_unpack(doc, "{s:s, s:i, s:I, s:i, s:o}", "format", &format,
                    "version", &version, "step", &step, "world", &world,
                    "ranks", &ranks) < 0 ||
        strcmp(format, INDEX_FORMAT) != 0 || version != INDEX_VERSION ||
        world <= 0 || !json_is_array(ranks) ||
        json_array_size(ranks) != (size_t)world)
        return -1;
    idx->step = step;
    idx->world = world;
    if (!(idx->parts = calloc((size_t)world, sizeof(*idx->parts))))
        return -1;
    json_array_foreach(ranks, r, v)
    {
        if (parse_part(v, &idx->parts[r], r == 0 || (int)r == rank) < 0)
            return -1;
    }
    return 0;
}

int ckpt_json_load(const struct ckpt_state *st, int64_t step,
                   struct ckpt_index **out, hub_error_t *err)
{
    char path[CKPT_PATH_MAX];
    json_error_t jerr;
    json_t *doc;
    struct ckpt_index *idx;

    *out = NULL;
    ckpt_path(path, st, step, "index.json");
    if (!ckpt_exists(path))
        return hub_errorf(err, ENOENT, "%s: no such file", path);
    if (!(doc = json_load_file(path, 0, &jerr)))
        return hub_errorf(err, EIO, "%s: %s", path, jerr.text);
    if (!(idx = calloc(1, sizeof(*idx))) ||
        parse_index(doc, st->rank, idx) < 0 || idx->step != step) {
        json_decref(doc);
        ckpt_index_free(idx);
        return hub_errorf(err, EIO, "%s: not a checkpoint index", path);
    }
    json_decref(doc);
    *out = idx;
    return 0;
}

void ckpt_index_free(struct ckpt_index *idx)
{
    if (!idx)
        return;
    for (int r = 0; idx->parts && r < idx->world; r++) {
        for (size_t i = 0; i < idx->parts[r].n; i++)
            free(idx->parts[r].e[i].name);
        free(idx->parts[r].e);
    }
    free(idx->parts);
    free(idx);
}
