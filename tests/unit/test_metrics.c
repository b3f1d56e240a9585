/* test_metrics.c: the Prometheus registry. The exposition is checked by
 * parsing it back with a small parser written to the text format 0.0.4
 * rules (HELP/TYPE lines, label escapes, cumulative histogram buckets with
 * +Inf, _sum, _count), and with `promtool check metrics` when promtool is
 * installed (skipped otherwise). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_metrics.h"
#include "sl_test.h"

#define MAX_SAMPLES 4096
#define MAX_LABELS 6

typedef struct sample {
    char name[128];
    int nl;
    char lname[MAX_LABELS][64];
    char lval[MAX_LABELS][1200];
    double value;
} sample;

typedef struct parsed {
    sample *s;
    size_t n;
    char types[64][2][128]; /* family name, type */
    size_t ntypes;
    int errors;
} parsed;

static const char *type_of(const parsed *p, const char *family)
{
    for (size_t i = 0; i < p->ntypes; i++)
        if (!strcmp(p->types[i][0], family))
            return p->types[i][1];
    return NULL;
}

static void perr(parsed *p, const char *line, const char *why)
{
    fprintf(stderr, "  exposition error (%s): %s\n", why, line);
    p->errors++;
}

static int name_char(int c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

/* Parse one exposition into p. Every line must be a HELP, a TYPE (each
 * family's TYPE before its samples) or a sample. */
static void parse_exposition(const char *text, parsed *p)
{
    char line[4096];
    const char *at = text;

    memset(p, 0, sizeof(*p));
    p->s = calloc(MAX_SAMPLES, sizeof(*p->s));
    while (*at) {
        size_t l = strcspn(at, "\n");
        const char *c;
        if (at[l] != '\n') {
            perr(p, at, "last line without newline");
            break;
        }
        snprintf(line, sizeof(line), "%.*s", (int)l, at);
        at += l + 1;
        if (!strncmp(line, "# TYPE ", 7)) {
            char n[128], t[64];
            if (sscanf(line + 7, "%127s %63s", n, t) != 2 ||
                (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram")))
                perr(p, line, "bad TYPE");
            else if (type_of(p, n))
                perr(p, line, "TYPE twice");
            else if (p->ntypes < 64) {
                snprintf(p->types[p->ntypes][0], 128, "%s", n);
                snprintf(p->types[p->ntypes++][1], 128, "%s", t);
            }
            continue;
        }
        if (!strncmp(line, "# HELP ", 7)) {
            for (c = line + 7; *c && *c != ' '; c++)
                if (!name_char((unsigned char)*c, c == line + 7))
                    perr(p, line, "bad HELP name");
            for (; *c; c++)
                if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
                    perr(p, line, "bad escape in HELP");
                else if (*c == '\\')
                    c++;
            continue;
        }
        if (line[0] == '#' || !line[0]) {
            perr(p, line, "unexpected comment or blank line");
            continue;
        }
        if (p->n == MAX_SAMPLES)
            break;
        sample *s = &p->s[p->n];
        size_t k = 0;
        for (c = line; name_char((unsigned char)*c, c == line); c++)
            if (k + 1 < sizeof(s->name))
                s->name[k++] = *c;
        if (c == line) {
            perr(p, line, "no metric name");
            continue;
        }
        if (*c == '{') {
            c++;
            while (*c != '}') {
                size_t nk = 0, vk = 0;
                if (s->nl == MAX_LABELS) {
                    perr(p, line, "too many labels");
                    break;
                }
                while (name_char((unsigned char)*c, nk == 0))
                    s->lname[s->nl][nk++] = *c++;
                if (!nk || c[0] != '=' || c[1] != '"') {
                    perr(p, line, "bad label");
                    break;
                }
                c += 2;
                while (*c && *c != '"') {
                    char ch = *c++;
                    if (ch == '\\') {
                        ch = *c++;
                        if (ch == 'n')
                            ch = '\n';
                        else if (ch != '\\' && ch != '"') {
                            perr(p, line, "bad escape in label value");
                            break;
                        }
                    } else if (ch == '\n')
                        perr(p, line, "raw newline");
                    if (vk + 1 < sizeof(s->lval[0]))
                        s->lval[s->nl][vk++] = ch;
                }
                if (*c != '"') {
                    perr(p, line, "unterminated label value");
                    break;
                }
                c++;
                s->nl++;
                if (*c == ',')
                    c++;
                else if (*c != '}') {
                    perr(p, line, "expected , or }");
                    break;
                }
            }
            if (*c != '}')
                continue;
            c++;
        }
        if (*c != ' ') {
            perr(p, line, "no space before value");
            continue;
        }
        c++;
        if (!strcmp(c, "+Inf"))
            s->value = INFINITY;
        else if (!strcmp(c, "-Inf"))
            s->value = -INFINITY;
        else if (!strcmp(c, "NaN"))
            s->value = NAN;
        else {
            char *end;
            s->value = strtod(c, &end);
            if (end == c || *end) {
                perr(p, line, "bad value");
                continue;
            }
        }
        {
            char fam[128];
            snprintf(fam, sizeof(fam), "%s", s->name);
            if (!type_of(p, fam)) {
                /* histogram series: strip _bucket/_sum/_count */
                char *u = strrchr(fam, '_');
                if (u)
                    *u = '\0';
                if (!type_of(p, fam) || strcmp(type_of(p, fam), "histogram"))
                    perr(p, line, "sample before its TYPE");
            }
        }
        p->n++;
    }
}

static const char *label(const sample *s, const char *name)
{
    for (int i = 0; i < s->nl; i++)
        if (!strcmp(s->lname[i], name))
            return s->lval[i];
    return NULL;
}

/* The value of name{l1=v1,...}: NAN when absent. Labels listed must match;
 * the sample must not have other labels except le when le is given. */
static double value_of(const parsed *p, const char *name, const char *l1, const char *v1,
                       const char *l2, const char *v2)
{
    for (size_t i = 0; i < p->n; i++) {
        const sample *s = &p->s[i];
        int want = (l1 ? 1 : 0) + (l2 ? 1 : 0);
        if (strcmp(s->name, name) || s->nl != want)
            continue;
        if (l1 && (!label(s, l1) || strcmp(label(s, l1), v1)))
            continue;
        if (l2 && (!label(s, l2) || strcmp(label(s, l2), v2)))
            continue;
        return s->value;
    }
    return NAN;
}

static void write_parse(sl_metrics *m, parsed *p, sl_buf *b)
{
    sl_buf_reset(b);
    SL_CHECK_INT(sl_metrics_write(m, b), 0);
    parse_exposition(b->ptr ? b->ptr : "", p);
    SL_CHECK_INT(p->errors, 0);
}

static void test_counters_gauges(void)
{
    sl_metrics *m = NULL;
    sl_buf b = SL_BUF_INIT;
    parsed p;

    SL_CHECK_INT(sl_metrics_new(&m), 0);
    sl_metrics_inc(m, "sluice_reconciles_total", 1, "app", "web", "result", "success", NULL);
    sl_metrics_inc(m, "sluice_reconciles_total", 2, "result", "success", "app", "web", NULL);
    sl_metrics_inc(m, "sluice_reconciles_total", 1, "app", "api", "result", "failure", NULL);
    sl_metrics_set(m, "sluice_queue_depth", 7, NULL);
    sl_metrics_set(m, "sluice_queue_depth", 3, NULL);
    sl_metrics_inc(m, "sluice_queue_depth", 2, NULL); /* gauges may be added to */
    sl_metrics_set(m, "sluice_app_last_success_timestamp_seconds", 1700000000.5, "app", "web",
                   NULL);
    sl_metrics_inc(m, "sluice_objects_applied_total", 0.25, "app", "web", "action", "create", NULL);
    write_parse(m, &p, &b);
    SL_CHECK(value_of(&p, "sluice_reconciles_total", "app", "web", "result", "success") == 3);
    SL_CHECK(value_of(&p, "sluice_reconciles_total", "app", "api", "result", "failure") == 1);
    SL_CHECK(isnan(value_of(&p, "sluice_reconciles_total", "app", "api", "result", "success")));
    SL_CHECK(value_of(&p, "sluice_queue_depth", NULL, NULL, NULL, NULL) == 5);
    SL_CHECK(value_of(&p, "sluice_app_last_success_timestamp_seconds", "app", "web", NULL, NULL) ==
             1700000000.5);
    SL_CHECK(value_of(&p, "sluice_objects_applied_total", "app", "web", "action", "create") ==
             0.25);
    SL_CHECK(value_of(&p, "sluice_up", NULL, NULL, NULL, NULL) == 1);
    SL_CHECK(value_of(&p, "sluice_build_info", "version", SL_VERSION, NULL, NULL) == 1);
    SL_CHECK(value_of(&p, "sluice_metrics_errors_total", NULL, NULL, NULL, NULL) == 0);
    /* every family the daemon relies on is declared with its type */
    SL_CHECK_STR(type_of(&p, "sluice_reconciles_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_reconcile_duration_seconds"), "histogram");
    SL_CHECK_STR(type_of(&p, "sluice_source_fetches_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_source_fetch_errors_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_webhook_deliveries_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_queue_depth"), "gauge");
    SL_CHECK_STR(type_of(&p, "sluice_objects_applied_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_objects_pruned_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_drift_detected_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_app_info"), "gauge");
    SL_CHECK_STR(type_of(&p, "sluice_app_last_success_timestamp_seconds"), "gauge");
    SL_CHECK_STR(type_of(&p, "sluice_deployments_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_lead_time_seconds"), "histogram");
    SL_CHECK_STR(type_of(&p, "sluice_failed_applies_total"), "counter");
    SL_CHECK_STR(type_of(&p, "sluice_up"), "gauge");
    SL_CHECK_STR(type_of(&p, "sluice_build_info"), "gauge");
    SL_CHECK_STR(type_of(&p, "sluice_metrics_errors_total"), "counter");
    /* every TYPE has a HELP just before it */
    {
        const char *t = b.ptr;
        while ((t = strstr(t, "\n# TYPE "))) {
            const char *prev = t - 1;
            while (prev > b.ptr && *prev != '\n')
                prev--;
            SL_CHECK(!strncmp(prev + (*prev == '\n'), "# HELP ", 7));
            t++;
        }
    }
    /* series of one family come out sorted by label values */
    {
        const char *api = strstr(b.ptr, "sluice_reconciles_total{app=\"api\"");
        const char *web = strstr(b.ptr, "sluice_reconciles_total{app=\"web\"");
        SL_CHECK(api && web && api < web);
    }
    free(p.s);
    sl_buf_free(&b);
    sl_metrics_free(m);
}

static void test_escaping(void)
{
    static const char *const tricky = "a\\b\"c\nd}e,f=g";
    sl_metrics *m = NULL;
    sl_buf b = SL_BUF_INIT;
    parsed p;

    SL_CHECK_INT(sl_metrics_new(&m), 0);
    sl_metrics_inc(m, "sluice_objects_pruned_total", 4, "app", tricky, NULL);
    sl_metrics_inc(m, "sluice_objects_pruned_total", 1, "app", "", NULL);
    write_parse(m, &p, &b);
    SL_CHECK(value_of(&p, "sluice_objects_pruned_total", "app", tricky, NULL, NULL) == 4);
    SL_CHECK(value_of(&p, "sluice_objects_pruned_total", "app", "", NULL, NULL) == 1);
    SL_CHECK_HAS(b.ptr, "app=\"a\\\\b\\\"c\\nd}e,f=g\"");
    free(p.s);
    sl_buf_free(&b);
    sl_metrics_free(m);
}

static void test_histograms(void)
{
    static const double obs[] = {0.001, 0.004, 0.2, 0.2, 3, 7.5, 42, 1e6};
    sl_metrics *m = NULL;
    sl_buf b = SL_BUF_INIT;
    parsed p;
    double sum = 0, last = -1, prev_le = -INFINITY, inf = NAN, count = NAN, gotsum = NAN;
    int nb = 0;

    SL_CHECK_INT(sl_metrics_new(&m), 0);
    for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
        sl_metrics_observe(m, "sluice_reconcile_duration_seconds", obs[i], "app", "web", NULL);
        sum += obs[i];
    }
    sl_metrics_observe(m, "sluice_lead_time_seconds", 5400, "app", "web", NULL);
    write_parse(m, &p, &b);
    for (size_t i = 0; i < p.n; i++) {
        const sample *s = &p.s[i];
        if (!strcmp(s->name, "sluice_reconcile_duration_seconds_bucket")) {
            const char *le = label(s, "le");
            double bound;
            size_t below = 0;
            SL_CHECK(le != NULL);
            SL_CHECK_STR(label(s, "app"), "web");
            if (!le)
                continue;
            bound = !strcmp(le, "+Inf") ? INFINITY : strtod(le, NULL);
            SL_CHECK(bound > prev_le);  /* ascending bounds */
            SL_CHECK(s->value >= last); /* cumulative */
            for (size_t j = 0; j < sizeof(obs) / sizeof(obs[0]); j++)
                below += obs[j] <= bound;
            SL_CHECK(s->value == (double)below);
            prev_le = bound;
            last = s->value;
            nb++;
            if (isinf(bound))
                inf = s->value;
        } else if (!strcmp(s->name, "sluice_reconcile_duration_seconds_sum"))
            gotsum = s->value;
        else if (!strcmp(s->name, "sluice_reconcile_duration_seconds_count"))
            count = s->value;
    }
    SL_CHECK(nb >= 5);
    SL_CHECK(inf == 8);
    SL_CHECK(count == 8);
    SL_CHECK(fabs(gotsum - sum) < 1e-6);
    /* lead time buckets reach a day; 1.5 h falls in the 2 h bucket, not the 1 h one */
    SL_CHECK(value_of(&p, "sluice_lead_time_seconds_bucket", "app", "web", "le", "86400") == 1);
    SL_CHECK(value_of(&p, "sluice_lead_time_seconds_bucket", "app", "web", "le", "3600") == 0);
    SL_CHECK(value_of(&p, "sluice_lead_time_seconds_bucket", "app", "web", "le", "7200") == 1);
    free(p.s);
    sl_buf_free(&b);
    sl_metrics_free(m);
}

static void test_errors_and_clear(void)
{
    sl_metrics *m = NULL;
    sl_buf b = SL_BUF_INIT;
    parsed p;

    SL_CHECK_INT(sl_metrics_new(&m), 0);
    sl_metrics_inc(m, "sluice_no_such_metric", 1, NULL);                    /* unknown */
    sl_metrics_inc(m, "sluice_deployments_total", 1, "nope", "x", NULL);    /* unknown label */
    sl_metrics_inc(m, "sluice_deployments_total", -1, "app", "x", NULL);    /* counter down */
    sl_metrics_set(m, "sluice_deployments_total", 5, "app", "x", NULL);     /* set a counter */
    sl_metrics_observe(m, "sluice_deployments_total", 5, "app", "x", NULL); /* wrong type */
    sl_metrics_inc(m, "sluice_reconcile_duration_seconds", 1, "app", "x", NULL);
    sl_metrics_inc(m, "sluice_deployments_total", 1, "app", "x", "app", "y", NULL); /* twice */
    sl_metrics_clear(m, "sluice_app_info", "nope", "x");
    write_parse(m, &p, &b);
    SL_CHECK(value_of(&p, "sluice_metrics_errors_total", NULL, NULL, NULL, NULL) == 8);
    SL_CHECK(isnan(value_of(&p, "sluice_deployments_total", "app", "x", NULL, NULL)));
    SL_CHECK(!strstr(b.ptr, "sluice_no_such_metric"));

    /* the applied revision replaces the previous one for that app only */
    sl_metrics_set(m, "sluice_app_info", 1, "app", "web", "source", "catalog", "revision", "aaa",
                   NULL);
    sl_metrics_set(m, "sluice_app_info", 1, "app", "api", "source", "catalog", "revision", "aaa",
                   NULL);
    sl_metrics_clear(m, "sluice_app_info", "app", "web");
    sl_metrics_set(m, "sluice_app_info", 1, "app", "web", "source", "catalog", "revision", "bbb",
                   NULL);
    free(p.s);
    write_parse(m, &p, &b);
    {
        int web = 0, api = 0;
        for (size_t i = 0; i < p.n; i++) {
            if (strcmp(p.s[i].name, "sluice_app_info"))
                continue;
            if (!strcmp(label(&p.s[i], "app"), "web")) {
                web++;
                SL_CHECK_STR(label(&p.s[i], "revision"), "bbb");
            } else if (!strcmp(label(&p.s[i], "app"), "api"))
                api++;
        }
        SL_CHECK_INT(web, 1);
        SL_CHECK_INT(api, 1);
    }
    free(p.s);
    sl_buf_free(&b);
    sl_metrics_free(m);
    sl_metrics_free(NULL);
}

static sl_metrics *shared_m;

static void *worker(void *arg)
{
    const char *app = arg;

    for (int i = 0; i < 20000; i++) {
        sl_metrics_inc(shared_m, "sluice_webhook_deliveries_total", 1, "source", app, "result",
                       "accepted", NULL);
        sl_metrics_observe(shared_m, "sluice_reconcile_duration_seconds", 0.01, "app", app, NULL);
    }
    return NULL;
}

static void test_threads(void)
{
    static char names[4][8] = {"a", "b", "c", "a"};
    pthread_t t[4];
    sl_buf b = SL_BUF_INIT;
    parsed p;

    SL_CHECK_INT(sl_metrics_new(&shared_m), 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, names[i]);
    for (int i = 0; i < 20; i++) {
        sl_buf_reset(&b);
        SL_CHECK_INT(sl_metrics_write(shared_m, &b), 0); /* writes while others update */
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    write_parse(shared_m, &p, &b);
    SL_CHECK(value_of(&p, "sluice_webhook_deliveries_total", "source", "a", "result", "accepted") ==
             40000);
    SL_CHECK(value_of(&p, "sluice_webhook_deliveries_total", "source", "b", "result", "accepted") ==
             20000);
    SL_CHECK(value_of(&p, "sluice_reconcile_duration_seconds_count", "app", "a", NULL, NULL) ==
             40000);
    free(p.s);
    sl_buf_free(&b);
    sl_metrics_free(shared_m);
}

static void test_promtool(void)
{
    sl_metrics *m = NULL;
    sl_buf b = SL_BUF_INIT;
    char *dir, path[4200];

    if (sl_test_sh("command -v promtool >/dev/null 2>&1")) {
        fprintf(stderr, "  skipped: promtool is not installed (Debian package prometheus)\n");
        return;
    }
    SL_CHECK_INT(sl_metrics_new(&m), 0);
    sl_metrics_inc(m, "sluice_reconciles_total", 1, "app", "web", "result", "success", NULL);
    sl_metrics_observe(m, "sluice_lead_time_seconds", 100, "app", "web", NULL);
    sl_metrics_set(m, "sluice_app_info", 1, "app", "web", "source", "s", "revision", "r\"1", NULL);
    SL_CHECK_INT(sl_metrics_write(m, &b), 0);
    dir = sl_test_tmpdir();
    snprintf(path, sizeof(path), "%s/metrics.txt", dir);
    SL_CHECK_INT(sl_test_write(path, b.ptr), 0);
    SL_CHECK_INT(sl_test_sh("promtool check metrics < '%s'", path), 0);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
    sl_buf_free(&b);
    sl_metrics_free(m);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_counters_gauges), SL_TEST_ENTRY(test_escaping),
             SL_TEST_ENTRY(test_histograms), SL_TEST_ENTRY(test_errors_and_clear),
             SL_TEST_ENTRY(test_threads), SL_TEST_ENTRY(test_promtool))
