/* registry.c: every back end, by name. Adding a source, renderer or applier
 * is one file plus one line here. */
#include <string.h>

#include "sl_render.h"
#include "sl_source.h"
#include "sl_target.h"

extern const sl_source_ops sl_source_git, sl_source_dir;
extern const sl_renderer_ops sl_renderer_manifests, sl_renderer_score, sl_renderer_template,
    sl_renderer_module;
extern const sl_applier_ops sl_applier_directory, sl_applier_kubernetes;

const sl_source_ops *const sl_source_registry[] = {
    &sl_source_git,
    &sl_source_dir,
    NULL,
};

const sl_renderer_ops *const sl_renderer_registry[] = {
    &sl_renderer_manifests,
    &sl_renderer_score,
    &sl_renderer_template,
    &sl_renderer_module,
    NULL,
};

const sl_applier_ops *const sl_applier_registry[] = {
    &sl_applier_directory,
    &sl_applier_kubernetes,
    NULL,
};

const sl_source_ops *sl_source_lookup(const char *kind)
{
    for (size_t i = 0; sl_source_registry[i]; i++)
        if (!strcmp(sl_source_registry[i]->kind, kind))
            return sl_source_registry[i];
    return NULL;
}

const sl_renderer_ops *sl_renderer_lookup(const char *kind)
{
    for (size_t i = 0; sl_renderer_registry[i]; i++)
        if (!strcmp(sl_renderer_registry[i]->kind, kind))
            return sl_renderer_registry[i];
    return NULL;
}

const sl_applier_ops *sl_applier_lookup(const char *kind)
{
    for (size_t i = 0; sl_applier_registry[i]; i++)
        if (!strcmp(sl_applier_registry[i]->kind, kind))
            return sl_applier_registry[i];
    return NULL;
}
