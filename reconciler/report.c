/* report.c: diff/apply reports (text, JSON, markdown) and Secret masking. */
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"
#include "sl_plan.h"
#include "sl_textdiff.h"

#define RPT_CONTEXT 3
#define RPT_MASK "***"
#define RPT_MASK_BEFORE "*** (before)"
#define RPT_MASK_AFTER "*** (after)"

static int rpt_is_secret(const cJSON *o)
{
    const char *kind = sl_doc_str(o, "kind"), *api = sl_doc_str(o, "apiVersion");

    return kind && api && !strcmp(kind, "Secret") && !strcmp(api, "v1");
}

/* Replace parent's member item with the string s. Should that fail for
 * want of memory, the member is deleted: a value is never left in clear. */
static void rpt_mask_item(cJSON *parent, cJSON *item, const char *s)
{
    cJSON *r = cJSON_CreateString(s);

    if (r) {
        /* Replace relinks without touching keys: move the key over. */
        r->string = item->string;
        r->type |= item->type & cJSON_StringIsConst;
        item->string = NULL;
        if (cJSON_ReplaceItemViaPointer(parent, item, r))
            return;
        item->string = r->string;
        r->string = NULL;
        cJSON_Delete(r);
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(parent, item));
}

/* Mask one field (data or stringData) of both sides. */
static void rpt_mask_field(cJSON *live, cJSON *want, const char *field)
{
    cJSON *lm = live ? cJSON_GetObjectItemCaseSensitive(live, field) : NULL;
    cJSON *wm = want ? cJSON_GetObjectItemCaseSensitive(want, field) : NULL;
    cJSON *c, *next;

    /* Not a map: nothing sensible to show per key. */
    if (lm && !cJSON_IsObject(lm) && !cJSON_IsNull(lm)) {
        rpt_mask_item(live, lm, RPT_MASK);
        lm = NULL;
    }
    if (wm && !cJSON_IsObject(wm) && !cJSON_IsNull(wm)) {
        rpt_mask_item(want, wm, RPT_MASK);
        wm = NULL;
    }
    if (!cJSON_IsObject(lm))
        lm = NULL;
    if (!cJSON_IsObject(wm))
        wm = NULL;
    /* Keys present in want but not in live first, while live still holds
     * its original keys. */
    for (c = wm ? wm->child : NULL; c; c = next) {
        next = c->next;
        if (!lm || !c->string || !cJSON_GetObjectItemCaseSensitive(lm, c->string))
            rpt_mask_item(wm, c, RPT_MASK);
    }
    for (c = lm ? lm->child : NULL; c; c = next) {
        cJSON *o = wm && c->string ? cJSON_GetObjectItemCaseSensitive(wm, c->string) : NULL;
        next = c->next;
        if (!o) {
            rpt_mask_item(lm, c, RPT_MASK);
        } else if (cJSON_Compare(c, o, 1)) {
            rpt_mask_item(lm, c, RPT_MASK);
            rpt_mask_item(wm, o, RPT_MASK);
        } else {
            rpt_mask_item(lm, c, RPT_MASK_BEFORE);
            rpt_mask_item(wm, o, RPT_MASK_AFTER);
        }
    }
}

void sl_mask_secrets(cJSON *live, cJSON *want)
{
    if (live && !rpt_is_secret(live))
        live = NULL;
    if (want && !rpt_is_secret(want))
        want = NULL;
    if (!live && !want)
        return;
    rpt_mask_field(live, want, "data");
    rpt_mask_field(live, want, "stringData");
}

static size_t rpt_count(sl_plan *const *plans, size_t n, sl_action a)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += plans[i]->counts[a];
    return k;
}

/* Scratch state shared by the writers. */
typedef struct rpt_ctx {
    sl_buf ya, yb;
} rpt_ctx;

/* Append the unified diff of one item (masked, 3 lines of context) to out.
 * Labels: "live/<apiVersion> <Kind> <ns>/<name>" and "desired/...". */
static int rpt_item_diff(rpt_ctx *x, const sl_plan_item *it, int color, sl_buf *out)
{
    cJSON *live = NULL, *want = NULL;
    char id[600], la[640], lb[640];
    int rc = 0;

    if ((it->live && !(live = cJSON_Duplicate(it->live, 1))) ||
        (it->want && !(want = cJSON_Duplicate(it->want, 1)))) {
        rc = SL_ENOMEM;
        goto out;
    }
    sl_mask_secrets(live, want);
    sl_buf_reset(&x->ya);
    sl_buf_reset(&x->yb);
    if ((live && (rc = sl_yaml_write(&x->ya, live))) ||
        (want && (rc = sl_yaml_write(&x->yb, want))))
        goto out;
    sl_objid_str(&it->id, id, sizeof(id));
    snprintf(la, sizeof(la), "live/%s", id);
    snprintf(lb, sizeof(lb), "desired/%s", id);
    rc = sl_textdiff_unified(x->ya.ptr, x->ya.len, x->yb.ptr, x->yb.len, la, lb, RPT_CONTEXT, color,
                             out);
out:
    cJSON_Delete(live);
    cJSON_Delete(want);
    return rc;
}

static int rpt_changed(const sl_plan_item *it)
{
    return it->action == SL_ACT_CREATE || it->action == SL_ACT_UPDATE || it->action == SL_ACT_PRUNE;
}

static int rpt_summary_line(sl_buf *out, sl_plan *const *plans, size_t n)
{
    return sl_buf_printf(out, "%zu to create, %zu to update, %zu to prune, %zu unchanged",
                         rpt_count(plans, n, SL_ACT_CREATE), rpt_count(plans, n, SL_ACT_UPDATE),
                         rpt_count(plans, n, SL_ACT_PRUNE), rpt_count(plans, n, SL_ACT_UNCHANGED));
}

static int rpt_text(rpt_ctx *x, sl_buf *out, sl_plan *const *plans, size_t n, int color)
{
    int rc;

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < plans[i]->n; j++)
            if (rpt_changed(&plans[i]->v[j]) &&
                (rc = rpt_item_diff(x, &plans[i]->v[j], color, out)))
                return rc;
    if ((rc = rpt_summary_line(out, plans, n)))
        return rc;
    return sl_buf_putc(out, '\n');
}

static cJSON *rpt_json_summary(size_t c, size_t u, size_t p, size_t k)
{
    cJSON *s = cJSON_CreateObject();

    if (!s || !cJSON_AddNumberToObject(s, "create", (double)c) ||
        !cJSON_AddNumberToObject(s, "update", (double)u) ||
        !cJSON_AddNumberToObject(s, "prune", (double)p) ||
        !cJSON_AddNumberToObject(s, "unchanged", (double)k)) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static int rpt_json(rpt_ctx *x, sl_buf *out, sl_plan *const *plans, size_t n)
{
    cJSON *root = cJSON_CreateObject(), *apps, *s;
    sl_buf d = SL_BUF_INIT;
    char *txt = NULL;
    int rc = SL_ENOMEM;

    if (!root || !(apps = cJSON_AddArrayToObject(root, "apps")))
        goto out;
    for (size_t i = 0; i < n; i++) {
        const sl_plan *p = plans[i];
        cJSON *a = cJSON_CreateObject(), *changes;

        if (!a)
            goto out;
        cJSON_AddItemToArray(apps, a);
        if (!cJSON_AddStringToObject(a, "app", p->app ? p->app : "") ||
            !cJSON_AddStringToObject(a, "target", p->target ? p->target : "") ||
            !cJSON_AddStringToObject(a, "revision", p->revision ? p->revision : ""))
            goto out;
        if (!(s = rpt_json_summary(p->counts[SL_ACT_CREATE], p->counts[SL_ACT_UPDATE],
                                   p->counts[SL_ACT_PRUNE], p->counts[SL_ACT_UNCHANGED])))
            goto out;
        cJSON_AddItemToObject(a, "summary", s);
        if (!(changes = cJSON_AddArrayToObject(a, "changes")))
            goto out;
        for (size_t j = 0; j < p->n; j++) {
            const sl_plan_item *it = &p->v[j];
            char api[300];
            cJSON *c;

            if (!rpt_changed(it))
                continue;
            sl_buf_reset(&d);
            if ((rc = rpt_item_diff(x, it, 0, &d)))
                goto out;
            rc = SL_ENOMEM;
            if (!(c = cJSON_CreateObject()))
                goto out;
            cJSON_AddItemToArray(changes, c);
            if (!cJSON_AddStringToObject(c, "action", sl_action_name(it->action)) ||
                !cJSON_AddStringToObject(c, "apiVersion",
                                         sl_objid_apiversion(&it->id, api, sizeof(api))) ||
                !cJSON_AddStringToObject(c, "kind", it->id.kind) ||
                !cJSON_AddStringToObject(c, "namespace", it->id.ns) ||
                !cJSON_AddStringToObject(c, "name", it->id.name) ||
                !cJSON_AddStringToObject(c, "diff", d.ptr ? d.ptr : ""))
                goto out;
        }
    }
    if (!(s = rpt_json_summary(
              rpt_count(plans, n, SL_ACT_CREATE), rpt_count(plans, n, SL_ACT_UPDATE),
              rpt_count(plans, n, SL_ACT_PRUNE), rpt_count(plans, n, SL_ACT_UNCHANGED))))
        goto out;
    cJSON_AddItemToObject(root, "summary", s);
    if (!(txt = cJSON_Print(root)))
        goto out;
    if ((rc = sl_buf_puts(out, txt)) || (rc = sl_buf_putc(out, '\n')))
        goto out;
    rc = 0;
out:
    free(txt);
    sl_buf_free(&d);
    cJSON_Delete(root);
    return rc;
}

/* Markdown table cell / inline text: escape what would end the cell or
 * start markup. */
static int rpt_md_text(sl_buf *out, const char *s)
{
    int rc = 0;

    for (; *s && !rc; s++) {
        if (strchr("|\\`*_[]<>#", *s))
            rc = sl_buf_putc(out, '\\');
        if (!rc)
            rc = sl_buf_putc(out, *s == '\n' ? ' ' : *s);
    }
    return rc;
}

/* Text inside an HTML element. */
static int rpt_html_text(sl_buf *out, const char *s)
{
    int rc = 0;

    for (; *s && !rc; s++) {
        switch (*s) {
        case '&':
            rc = sl_buf_puts(out, "&amp;");
            break;
        case '<':
            rc = sl_buf_puts(out, "&lt;");
            break;
        case '>':
            rc = sl_buf_puts(out, "&gt;");
            break;
        case '`':
            rc = sl_buf_puts(out, "&#96;");
            break;
        default:
            rc = sl_buf_putc(out, *s);
            break;
        }
    }
    return rc;
}

/* A code fence longer than any run of backticks in text. */
static size_t rpt_fence_len(const char *text)
{
    size_t best = 0, run = 0;

    for (; text && *text; text++) {
        run = *text == '`' ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best >= 3 ? best + 1 : 3;
}

static int rpt_fence(sl_buf *out, size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++)
        rc = sl_buf_putc(out, '`');
    return rc;
}

static int rpt_markdown(rpt_ctx *x, sl_buf *out, sl_plan *const *plans, size_t n)
{
    sl_buf d = SL_BUF_INIT;
    int rc;

    if ((rc = sl_buf_puts(out, "### sluice diff\n\n**")) ||
        (rc = rpt_summary_line(out, plans, n)) || (rc = sl_buf_puts(out, "**\n\n")))
        goto out;
    if (n && ((rc = sl_buf_puts(out, "| app | target | revision | create | update | prune | "
                                     "unchanged |\n| --- | --- | --- | ---: | ---: | ---: | "
                                     "---: |\n"))))
        goto out;
    for (size_t i = 0; i < n; i++) {
        const sl_plan *p = plans[i];
        if ((rc = sl_buf_puts(out, "| ")) || (rc = rpt_md_text(out, p->app ? p->app : "")) ||
            (rc = sl_buf_puts(out, " | ")) || (rc = rpt_md_text(out, p->target ? p->target : "")) ||
            (rc = sl_buf_puts(out, " | ")) ||
            (rc = rpt_md_text(out, p->revision ? p->revision : "")) ||
            (rc = sl_buf_printf(out, " | %zu | %zu | %zu | %zu |\n", p->counts[SL_ACT_CREATE],
                                p->counts[SL_ACT_UPDATE], p->counts[SL_ACT_PRUNE],
                                p->counts[SL_ACT_UNCHANGED])))
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const sl_plan *p = plans[i];
        int header = 0;

        for (size_t j = 0; j < p->n; j++) {
            const sl_plan_item *it = &p->v[j];
            char id[600];
            size_t fence;

            if (!rpt_changed(it))
                continue;
            if (!header) {
                header = 1;
                if ((rc = sl_buf_puts(out, "\n#### ")) ||
                    (rc = rpt_md_text(out, p->app ? p->app : "")) ||
                    (rc = sl_buf_puts(out, " (target ")) ||
                    (rc = rpt_md_text(out, p->target ? p->target : "")) ||
                    (rc = sl_buf_puts(out, ")\n")))
                    goto out;
            }
            sl_buf_reset(&d);
            if ((rc = rpt_item_diff(x, it, 0, &d)))
                goto out;
            fence = rpt_fence_len(d.ptr);
            if ((rc =
                     sl_buf_printf(out, "\n<details><summary>`%s` ", sl_action_name(it->action))) ||
                (rc = rpt_html_text(out, sl_objid_str(&it->id, id, sizeof(id)))) ||
                (rc = sl_buf_puts(out, "</summary>\n\n")) || (rc = rpt_fence(out, fence)) ||
                (rc = sl_buf_puts(out, "diff\n")) ||
                (rc = sl_buf_put(out, d.ptr ? d.ptr : "", d.len)) || (rc = rpt_fence(out, fence)) ||
                (rc = sl_buf_puts(out, "\n\n</details>\n")))
                goto out;
        }
    }
out:
    sl_buf_free(&d);
    return rc;
}

/* Contract: appends the report of the n plans to out in format fmt
 * (colour only for text). Returns 0 or SL_ENOMEM / SL_ELIMIT. */
int sl_report_write(sl_buf *out, sl_plan *const *plans, size_t nplans, sl_outfmt fmt, int color)
{
    rpt_ctx x = {SL_BUF_INIT, SL_BUF_INIT};
    int rc;

    if (!plans)
        nplans = 0;
    switch (fmt) {
    case SL_OUT_JSON:
        rc = rpt_json(&x, out, plans, nplans);
        break;
    case SL_OUT_MARKDOWN:
        rc = rpt_markdown(&x, out, plans, nplans);
        break;
    default:
        rc = rpt_text(&x, out, plans, nplans, color);
        break;
    }
    sl_buf_free(&x.ya);
    sl_buf_free(&x.yb);
    return rc;
}
