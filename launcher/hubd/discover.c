/* discover.c - what this node has: CPUs from the affinity mask, memory from
 * /proc/meminfo, GPUs from NVML (libnvidia-ml.so.1, loaded with dlopen so
 * that hubd runs on machines without the driver), and what of it to
 * report to the controller (see disc_decide in hubd.h).
 */
#include "config.h"

#include "hubd.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* NVML's return code for success and the size of a device name buffer
 * (NVML_DEVICE_NAME_V2_BUFFER_SIZE); the rest of nvml.h is not needed. */
#define NVML_SUCCESS 0
#define NVML_NAME_BUFFER 96

int disc_parse_meminfo(const char *text, uint64_t *mem_mb)
{
    const char *p = strstr(text, "MemTotal:");
    unsigned long long kib;
    char unit[8];

    if (p && p != text && p[-1] != '\n')
        p = strstr(text, "\nMemTotal:");
    if (!p)
        return -EINVAL;
    if (*p == '\n')
        p++;
    if (sscanf(p, "MemTotal: %llu %7s", &kib, unit) != 2 ||
        strcmp(unit, "kB") != 0)
        return -EINVAL;
    *mem_mb = kib / 1024;
    return 0;
}

static uint64_t probe_mem_mb(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/meminfo", "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    uint64_t mb = 0;

    if (f)
        fclose(f);
    buf[n] = '\0';
    if (disc_parse_meminfo(buf, &mb) < 0)
        hub_log_warn("cannot read MemTotal from /proc/meminfo");
    return mb;
}

static int probe_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 0;
}

typedef int (*nvml_init_fn)(void);
typedef int (*nvml_count_fn)(unsigned int *);
typedef int (*nvml_handle_fn)(unsigned int, void **);
typedef int (*nvml_name_fn)(void *, char *, unsigned int);

/* GPU count and the first device's name through NVML, or -1 when the
 * library or the driver is missing. */
static int probe_nvml(char *name, size_t len)
{
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    unsigned int count = 0;
    void *dev = NULL;
    int rc = -1;

    if (!lib)
        return -1;
    nvml_init_fn init = (nvml_init_fn)dlsym(lib, "nvmlInit_v2");
    nvml_count_fn get_count =
        (nvml_count_fn)dlsym(lib, "nvmlDeviceGetCount_v2");
    nvml_handle_fn get_handle =
        (nvml_handle_fn)dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
    nvml_name_fn get_name = (nvml_name_fn)dlsym(lib, "nvmlDeviceGetName");
    int (*shutdown)(void) = (int (*)(void))dlsym(lib, "nvmlShutdown");

    if (init && get_count && init() == NVML_SUCCESS) {
        if (get_count(&count) == NVML_SUCCESS)
            rc = (int)count;
        if (rc > 0 && get_handle && get_name &&
            get_handle(0, &dev) == NVML_SUCCESS)
            get_name(dev, name, (unsigned)len);
        if (shutdown)
            shutdown();
    }
    dlclose(lib);
    return rc;
}

void disc_probe(bool skip_nvml, disc_actual_t *act)
{
    memset(act, 0, sizeof(*act));
    act->cpus = probe_cpus();
    act->mem_mb = probe_mem_mb();
    act->gpus = skip_nvml ? -1 : probe_nvml(act->gpu_name, NVML_NAME_BUFFER);
}

void disc_decide(const hub_conf_node_t *node, const disc_actual_t *act,
                 bool conf_overrides, bool fake_gpus, disc_res_t *res)
{
    res->cpus = node->cpus;
    res->mem_mb = node->real_memory_mb;
    res->gpus = node->gpus;
    res->gpu_type = node->gpu_type_name;
    res->gpu_source = fake_gpus ? "fake" : "conf";
    if (conf_overrides)
        return;
    if (act->cpus > 0 && act->cpus < res->cpus)
        res->cpus = act->cpus;
    if (act->mem_mb > 0 && act->mem_mb < res->mem_mb)
        res->mem_mb = act->mem_mb;
    if (!fake_gpus && act->gpus >= 0) {
        res->gpu_source = "nvml";
        if (act->gpus < res->gpus)
            res->gpus = act->gpus;
    }
}
