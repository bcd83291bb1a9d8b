/* plugins.c - the scheduler's plugin types and its built-in plugins. */
#include "plugins.h"

#include <stdbool.h>

static const hub_plugin_op_t select_mandatory[] = {
    HUB_PLUGIN_OP(hub_select_ops_t, create),
    HUB_PLUGIN_OP(hub_select_ops_t, destroy),
    HUB_PLUGIN_OP(hub_select_ops_t, place),
};

const hub_plugin_type_t hub_select_plugin_type = {
    .name = "select",
    .abi_major = HUB_SELECT_ABI_MAJOR,
    .abi_minor = HUB_SELECT_ABI_MINOR,
    .ops_size = sizeof(hub_select_ops_t),
    .mandatory = select_mandatory,
    .n_mandatory = sizeof(select_mandatory) / sizeof(select_mandatory[0]),
};

static const hub_plugin_op_t priority_mandatory[] = {
    HUB_PLUGIN_OP(hub_priority_ops_t, create),
    HUB_PLUGIN_OP(hub_priority_ops_t, destroy),
    HUB_PLUGIN_OP(hub_priority_ops_t, priority),
};

const hub_plugin_type_t hub_priority_plugin_type = {
    .name = "priority",
    .abi_major = HUB_PRIORITY_ABI_MAJOR,
    .abi_minor = HUB_PRIORITY_ABI_MINOR,
    .ops_size = sizeof(hub_priority_ops_t),
    .mandatory = priority_mandatory,
    .n_mandatory = sizeof(priority_mandatory) / sizeof(priority_mandatory[0]),
};

static const hub_plugin_op_t sched_mandatory[] = {
    HUB_PLUGIN_OP(hub_sched_ops_t, create),
    HUB_PLUGIN_OP(hub_sched_ops_t, destroy),
    HUB_PLUGIN_OP(hub_sched_ops_t, pass),
};

const hub_plugin_type_t hub_sched_plugin_type = {
    .name = "sched",
    .abi_major = HUB_SCHED_ABI_MAJOR,
    .abi_minor = HUB_SCHED_ABI_MINOR,
    .ops_size = sizeof(hub_sched_ops_t),
    .mandatory = sched_mandatory,
    .n_mandatory = sizeof(sched_mandatory) / sizeof(sched_mandatory[0]),
};

static const hub_plugin_op_t hubsel_mandatory[] = {
    HUB_PLUGIN_OP(hub_hubsel_ops_t, create),
    HUB_PLUGIN_OP(hub_hubsel_ops_t, destroy),
    HUB_PLUGIN_OP(hub_hubsel_ops_t, rank),
};

const hub_plugin_type_t hub_hubsel_plugin_type = {
    .name = "hubsel",
    .abi_major = HUB_HUBSEL_ABI_MAJOR,
    .abi_minor = HUB_HUBSEL_ABI_MINOR,
    .ops_size = sizeof(hub_hubsel_ops_t),
    .mandatory = hubsel_mandatory,
    .n_mandatory = sizeof(hubsel_mandatory) / sizeof(hubsel_mandatory[0]),
};

/* Descriptors of the plugins under plugins/<type>/<name>/ that are built
 * into libhubsched. */
extern const hub_plugin_desc_t hub_select_bestfit_desc;
extern const hub_plugin_desc_t hub_select_random_desc;
extern const hub_plugin_desc_t hub_select_fgd_desc;
extern const hub_plugin_desc_t hub_select_fgdx_desc;
extern const hub_plugin_desc_t hub_select_topo_desc;
extern const hub_plugin_desc_t hub_priority_basic_desc;
extern const hub_plugin_desc_t hub_priority_multifactor_desc;
extern const hub_plugin_desc_t hub_sched_fifo_desc;
extern const hub_plugin_desc_t hub_sched_backfill_desc;
extern const hub_plugin_desc_t hub_hubsel_local_desc;
extern const hub_plugin_desc_t hub_hubsel_cost_desc;

void hub_sched_register_builtins(void)
{
    static bool done;
    const hub_plugin_desc_t *builtins[] = {
        &hub_select_bestfit_desc,       &hub_select_random_desc,
        &hub_select_fgd_desc,           &hub_select_fgdx_desc,
        &hub_select_topo_desc,          &hub_priority_basic_desc,
        &hub_priority_multifactor_desc, &hub_sched_fifo_desc,
        &hub_sched_backfill_desc,       &hub_hubsel_local_desc,
        &hub_hubsel_cost_desc,
    };

    if (done)
        return;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        hub_plugin_register_builtin(builtins[i]);
    done = true;
}
