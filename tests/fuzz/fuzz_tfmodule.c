/* fuzz_tfmodule.c: Terraform module semantics on arbitrary bytes. The input
 * is the main.tf of module "m" (in an in-memory snapshot that also holds a
 * child module m/child/main.tf); it is loaded (declarations, references,
 * dependency order) and evaluated without inputs. A failure must come with
 * an error diagnostic; a success must give an outputs object and manifests
 * that are JSON objects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/module/tf.h"

static const char child_tf[] =
    "variable \"name\" {\n  type = string\n  default = \"c\"\n}\n"
    "variable \"n\" {\n  type = number\n  default = 1\n"
    "  validation {\n    condition = var.n >= 0\n    error_message = \"negative\"\n  }\n}\n"
    "resource \"kubernetes_manifest\" \"cm\" {\n  count = var.n\n  manifest = {\n"
    "    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
    "    metadata = { name = \"${var.name}-${count.index}\", namespace = \"ns\" }\n  }\n}\n"
    "output \"name\" {\n  value = var.name\n}\n";

typedef struct mem_snap {
    sl_snapshot base;
    const char *main_tf;
    size_t main_len;
} mem_snap;

static int mem_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    mem_snap *m = (mem_snap *)s;
    const char *data;
    size_t n;

    if (!strcmp(path, "m/main.tf"))
        data = m->main_tf, n = m->main_len;
    else if (!strcmp(path, "m/child/main.tf"))
        data = child_tf, n = sizeof(child_tf) - 1;
    else
        return sl_error_set(err, SL_ENOTFOUND, "%s not found", path);
    if (n > max)
        return sl_error_set(err, SL_ELIMIT, "too big");
    return sl_buf_put(out, data, n);
}

static int mem_list(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    (void)s;
    if (!strcmp(dir, ""))
        return sl_strv_push(out, "m/");
    if (!strcmp(dir, "m"))
        return sl_strv_push(out, "main.tf") || sl_strv_push(out, "child/");
    if (!strcmp(dir, "m/child"))
        return sl_strv_push(out, "main.tf");
    return sl_error_set(err, SL_ENOTFOUND, "%s not found", dir);
}

static void mem_free(sl_snapshot *s)
{
    (void)s;
}

static const sl_snapshot_ops mem_ops = {.read = mem_read, .list = mem_list, .free = mem_free};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem_snap snap;
    tf_cache cache;
    tf_module *m = NULL;
    sl_hcl_diags diags = {0};
    sl_hcl_arena *arena = NULL;
    tf_result res;
    tf_env env;
    int rc;

    if (size > 65536)
        return 0;
    memset(&snap, 0, sizeof(snap));
    memset(&res, 0, sizeof(res));
    snap.base.ops = &mem_ops;
    snap.base.source = (char *)"fuzz";
    snap.base.revision = (char *)"local";
    snap.main_tf = (const char *)data;
    snap.main_len = size;
    tf_cache_init(&cache, &snap.base);
    rc = tf_cache_load(&cache, "m", 0, &m, &diags);
    if (rc) {
        if (rc == SL_EINVAL && !sl_hcl_diags_has_errors(&diags))
            abort();
        goto out;
    }
    if (sl_hcl_arena_new((size_t)64 << 20, &arena))
        goto out;
    memset(&env, 0, sizeof(env));
    env.cache = &cache;
    env.arena = arena;
    env.diags = &diags;
    rc = tf_module_eval(&env, m, NULL, 0, "", &res);
    if (rc == SL_EINVAL && !sl_hcl_diags_has_errors(&diags))
        abort();
    if (!rc) {
        if (!res.outputs || res.outputs->kind != SL_HCL_OBJECT)
            abort();
        for (size_t i = 0; i < res.nmanifests; i++)
            if (!cJSON_IsObject(res.manifests[i].json))
                abort();
    }
out:
    tf_result_fini(&res);
    sl_hcl_arena_free(arena);
    tf_cache_fini(&cache);
    sl_hcl_diags_free(&diags);
    return 0;
}
