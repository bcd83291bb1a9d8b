/* select_fgdx.c - select/fgdx: FGD (select/fgd) whose fragmentation also
 * counts the free GPUs a node's CPUs and memory cannot feed.
 *
 * FGD looks one task ahead: a node with 8 free GPUs and 12 free CPUs fits
 * every 1-GPU task type of 12 CPUs or fewer, so FGD counts none of its
 * GPUs as fragments, though the first such task strands the other 7.
 * select/fgdx adds, for each task type that fits, FGDX_STRAND_WEIGHT times
 * the node's free GPU capacity that is not already a fragment for it,
 * times the share of the type's GPU slots its CPUs or memory cannot feed
 * (plugins/select/fgd/select_fgd.c, "The stranding term"). Everything else
 * - the learnt task types, the tie-breaks, what is left to select/bestfit
 * - is select/fgd's.
 */
#include "../fgd/fgd.h"

/* Measured on the Alibaba v2023 inflation experiment (130 %, seeds 42 and
 * 45, GPU allocation): weight 0 (FGD) 95.36 / 94.59 %; 0.02: 95.49 /
 * 95.39; 0.05: 95.61 / 95.51; 0.1: 95.65 / 95.69; 0.25: 95.57 / 95.65; 1:
 * 95.38 at seed 42, where 8-GPU tasks start failing at 29 % of the demand
 * (a heavy term sends small GPU tasks to the CPU-rich nodes that alone
 * hold the 8-GPU tasks of over 96 CPUs). */
#define FGDX_STRAND_WEIGHT 0.1

static int fgdx_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    return fgd_create_weighted(ctx, conf, FGDX_STRAND_WEIGHT, err);
}

static const hub_select_ops_t ops = {
    .create = fgdx_create,
    .destroy = fgd_destroy,
    .place = fgd_place,
};

const hub_plugin_desc_t hub_select_fgdx_desc = HUB_PLUGIN_DESC_INIT(
    "select", "fgdx", HUB_SELECT_ABI_MAJOR, HUB_SELECT_ABI_MINOR, ops);
