/* cli.c: the command line: render, diff, apply, validate, version. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_cli.h"
#include "sl_daemon.h"
#include "sl_status.h"
#include "sl_pipeline.h"
#include "sl_plan.h"
#include "sl_scaffold.h"

/* Exit codes. diff follows kubectl diff: 0 no changes, 1 changes, 2+ error. */
enum { EXIT_OK = 0, EXIT_CHANGES = 1, EXIT_ERROR = 2 };

typedef struct cli_opts {
    const char *config;
    const char *output; /* render: yaml|json; diff/apply: text|json|markdown */
    const char *color;  /* auto|never|always */
    sl_local_override local[16];
    size_t nlocal;
    char **apps;
    size_t napps;
    int confirm_prune;  /* apply: lift the mass-prune guard */
    int wait;           /* apply: wait until applied objects are healthy */
    double timeout;     /* apply --wait: seconds, default 300 */
} cli_opts;

static const char *const usage_main =
    "sluice: a GitOps reconciler\n"
    "\n"
    "usage: sluice <command> [options] [APP...]\n"
    "\n"
    "commands:\n"
    "  render     render apps to manifests on stdout\n"
    "  diff       show what apply would change (exit 0 none, 1 changes, 2 error)\n"
    "  apply      render, diff and apply apps to their targets\n"
    "  validate   check the configuration file, reporting every problem\n"
    "  run        keep every app reconciled (the daemon)\n"
    "  status     show each app's last reconcile (from the daemon, or its state file)\n"
    "  scaffold   run a Backstage software template or a cookiecutter skeleton\n"
    "  version    print the version\n"
    "\n"
    "Run 'sluice <command> --help' for a command's options.\n";

static const char *const usage_common =
    "  -c, --config FILE   configuration file (default: $SLUICE_CONFIG or ./sluice.yaml)\n"
    "      --local [SOURCE=]DIR\n"
    "                      read SOURCE (default: the selected apps' source) from a local\n"
    "                      folder instead of its configured revision (pull-request preview)\n"
    "  -h, --help          this help\n";

static void cli_usage(const char *cmd, FILE *f)
{
    if (!strcmp(cmd, "render")) {
        fprintf(f,
                "usage: sluice render [options] [APP...]\n\n"
                "Render the selected apps (all by default) and print their objects as a\n"
                "YAML stream, in render order.\n\noptions:\n%s"
                "  -o, --output yaml|json  output format (json: a v1 List)\n",
                usage_common);
    } else if (!strcmp(cmd, "diff")) {
        fprintf(f,
                "usage: sluice diff [options] [APP...]\n\n"
                "Render the selected apps, compare with their targets and print a unified\n"
                "diff per object and a summary. Secret values are masked.\n"
                "Exit status: 0 no changes, 1 changes, 2 error.\n\noptions:\n%s"
                "  -o, --output text|json|markdown  report format (default text)\n"
                "      --color auto|never|always    colour the diff (default auto: on a TTY)\n"
                "      --kubeconfig PATHS   kubeconfig for kubernetes targets (overrides the\n"
                "                           target's kubeconfig; ':'-separated like KUBECONFIG)\n"
                "      --context NAME       kubeconfig context for kubernetes targets\n",
                usage_common);
    } else if (!strcmp(cmd, "apply")) {
        fprintf(f,
                "usage: sluice apply [options] [APP...]\n\n"
                "Render the selected apps, print the diff, and apply it to their targets:\n"
                "creates and updates first, prunes last (only for apps with prune: true,\n"
                "only when every apply succeeded). If any selected app fails to render,\n"
                "nothing is applied. Exit status: 0 ok, 2 error.\n\noptions:\n%s"
                "  -o, --output text|json|markdown  report format (default text)\n"
                "      --color auto|never|always    colour the diff (default auto)\n"
                "      --confirm-prune      allow a prune the mass-prune guard stopped\n"
                "      --wait               after applying, wait until every object of the\n"
                "                           app is healthy (rolled out, complete, bound, Ready)\n"
                "      --timeout D          how long --wait waits (default 5m)\n"
                "      --kubeconfig PATHS   kubeconfig for kubernetes targets\n"
                "      --context NAME       kubeconfig context for kubernetes targets\n",
                usage_common);
    } else if (!strcmp(cmd, "validate")) {
        fprintf(f, "usage: sluice validate [-c FILE]\n\n"
                   "Check the configuration and report every problem with file:line:col.\n"
                   "Exit status: 0 valid, 2 problems found.\n\noptions:\n"
                   "  -c, --config FILE   configuration file\n"
                   "  -h, --help          this help\n");
    } else if (!strcmp(cmd, "run")) {
        fprintf(f,
                "usage: sluice run [-c FILE] [--listen HOST:PORT] [--watch]\n\n"
                "Reconcile every app once, then keep them reconciled: poll sources at their\n"
                "interval, fetch at once on a webhook, re-check live state every\n"
                "daemon.driftInterval and repair drift (selfHeal). SIGHUP reloads the\n"
                "configuration (an invalid one is refused and the old one kept); SIGTERM\n"
                "finishes the work in flight and exits 0.\n\noptions:\n"
                "  -c, --config FILE     configuration file\n"
                "      --listen ADDR     serve webhooks, /metrics and the API here (overrides "
                "listen:)\n"
                "      --watch           watch dir sources with inotify: edits reconcile at once\n"
                "  -h, --help            this help\n");
    } else if (!strcmp(cmd, "scaffold")) {
        sl_scaffold_usage(f);
    } else if (!strcmp(cmd, "version")) {
        fprintf(f, "usage: sluice version\n\nPrint the version.\n");
    } else {
        fputs(usage_main, f);
    }
}

/* render, diff and apply end the process right after their work: freeing
 * every object of a big render one by one (a million cJSON nodes at 10,000
 * objects) only costs time, and the kernel takes the memory back at once.
 * Sanitizer builds (SL_SANITIZED) and SLUICE_FREE_AT_EXIT=1 free
 * everything, so leak checkers still see the full teardown. */
static void cli_exit_fast(int code)
{
#ifndef SL_SANITIZED
    const char *e = getenv("SLUICE_FREE_AT_EXIT");

    if (e && *e && strcmp(e, "0"))
        return;
    if (fflush(stdout) != 0 && code == 0)
        code = 2;
    fflush(stderr);
    exit(code);
#else
    (void)code;
#endif
}

static void cli_print_error(const sl_error *err, const char *app)
{
    char buf[2048];

    sl_error_format(err, buf, sizeof(buf));
    if (app)
        fprintf(stderr, "error: app %s: %s\n", app, buf);
    else
        fprintf(stderr, "error: %s\n", buf);
}

static int cli_parse(int argc, char **argv, const char *cmd, cli_opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
        {"color", required_argument, NULL, 'C'},  {"local", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},         {"confirm-prune", no_argument, NULL, 'P'},
        {"wait", no_argument, NULL, 'W'},         {"timeout", required_argument, NULL, 'T'},
        {"kubeconfig", required_argument, NULL, 'K'},
        {"context", required_argument, NULL, 'X'}, {NULL, 0, NULL, 0}};
    int apply = !strcmp(cmd, "apply"), kube = apply || !strcmp(cmd, "diff");
    int ch;

    memset(o, 0, sizeof(*o));
    o->config = getenv("SLUICE_CONFIG");
    if (!o->config || !*o->config)
        o->config = "sluice.yaml";
    o->color = "auto";
    o->timeout = 300;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'C':
            if (strcmp(optarg, "auto") && strcmp(optarg, "never") && strcmp(optarg, "always")) {
                fprintf(stderr, "error: --color must be auto, never or always\n");
                return EXIT_ERROR;
            }
            o->color = optarg;
            break;
        case 'L': {
            char *eq = strchr(optarg, '=');
            if (o->nlocal == sizeof(o->local) / sizeof(o->local[0])) {
                fprintf(stderr, "error: too many --local options\n");
                return EXIT_ERROR;
            }
            if (eq) {
                *eq = '\0';
                o->local[o->nlocal].source = optarg;
                o->local[o->nlocal].dir = eq + 1;
            } else {
                o->local[o->nlocal].dir = optarg;
            }
            o->nlocal++;
            break;
        }
        case 'P':
        case 'W':
        case 'T':
            if (!apply)
                goto bad;
            if (ch == 'P')
                o->confirm_prune = 1;
            else if (ch == 'W')
                o->wait = 1;
            else if (sl_parse_duration(optarg, &o->timeout) || o->timeout <= 0) {
                fprintf(stderr, "error: --timeout must be a duration such as 90s or 5m\n");
                return EXIT_ERROR;
            }
            break;
        case 'K':
        case 'X':
            if (!kube)
                goto bad;
            /* Read by kubernetes targets when they connect. */
            setenv(ch == 'K' ? "SLUICE_KUBECONFIG" : "SLUICE_KUBE_CONTEXT", optarg, 1);
            break;
        case 'h':
            cli_usage(cmd, stdout);
            return -1;
        default:
        bad:
            fprintf(stderr, "error: unknown or incomplete option \"%s\"\n\n", argv[optind - 1]);
            cli_usage(cmd, stderr);
            return EXIT_ERROR;
        }
    }
    o->apps = argv + optind;
    o->napps = (size_t)(argc - optind);
    return 0;
}

static int cli_load(const char *file, sl_config **cfg)
{
    sl_diags diags = {0};
    int rc = sl_config_load(file, cfg, &diags);

    for (size_t i = 0; i < diags.n; i++)
        cli_print_error(&diags.v[i], NULL);
    if (rc && !diags.n)
        fprintf(stderr, "error: %s: %s\n", file, sl_strerror(rc));
    sl_diags_free(&diags);
    return rc;
}

/* Render the selection; print every per-app failure. */
static int cli_render_all(sl_pipeline *p, sl_config *cfg, cli_opts *o)
{
    sl_error err;
    int rc;

    sl_error_clear(&err);
    /* --local DIR without a source name applies to the source of the
     * selected apps, which must then be just one. */
    if (o->nlocal == 1 && !o->local[0].source) {
        const sl_source *only = NULL;
        for (size_t i = 0; i < cfg->nspecs; i++) {
            int sel = o->napps == 0;
            for (size_t j = 0; j < o->napps && !sel; j++)
                sel = cfg->specs[i].each || !strcmp(o->apps[j], cfg->specs[i].name);
            if (!sel)
                continue;
            if (only && only != cfg->specs[i].source) {
                fprintf(stderr, "error: the selected apps read more than one source; "
                                "say which one with --local SOURCE=DIR\n");
                return SL_EINVAL;
            }
            only = cfg->specs[i].source;
        }
    }
    if ((rc = sl_pipeline_init(p, cfg, o->local, o->nlocal, &err))) {
        cli_print_error(&err, NULL);
        return rc;
    }
    rc = sl_pipeline_render(p, o->apps, o->napps, &err);
    for (size_t i = 0; i < p->napps; i++)
        if (!p->apps[i].objects)
            cli_print_error(&p->apps[i].err, p->apps[i].app->name);
    if (rc && err.msg[0])
        cli_print_error(&err, NULL);
    return rc;
}

/* Print the renderers' notices ("note: app x: ..."), one per line. */
static void cli_print_notes(const sl_pipeline *p, FILE *f, int markdown)
{
    for (size_t i = 0; i < p->napps; i++) {
        for (size_t j = 0; j < p->apps[i].events.n; j++)
            fprintf(f, "%snote: app %s: %s\n", markdown ? "> " : "", p->apps[i].app->name,
                    p->apps[i].events.v[j]);
        for (size_t j = 0; j < p->apps[i].notes.n; j++)
            fprintf(f, "%snote: app %s: %s\n", markdown ? "> " : "", p->apps[i].app->name,
                    p->apps[i].notes.v[j]);
    }
}

/* Writing YAML is a fifth of a big render: objects go out in chunks, the
 * odd chunks rendered on a helper thread while this one renders the even
 * ones, and written in order (memory stays at two chunks). */
#define CLI_CHUNK 256

typedef struct cli_chunk {
    const sl_objset *set;
    size_t from, to;
    sl_buf out;
    int rc;
} cli_chunk;

static void *cli_chunk_write(void *arg)
{
    cli_chunk *c = arg;

    c->rc = 0;
    for (size_t j = c->from; j < c->to && !c->rc; j++)
        if (!(c->rc = sl_buf_puts(&c->out, "---\n")))
            c->rc = sl_yaml_write(&c->out, c->set->v[j].json);
    return NULL;
}

static int cli_write_stream(const sl_objset *set, FILE *f)
{
    cli_chunk a = {.set = set}, b = {.set = set};
    int rc = 0, par = sl_threads() > 1;

    for (size_t base = 0; !rc && base < set->n; base += 2 * CLI_CHUNK) {
        pthread_t tid;
        int threaded;
        a.from = base;
        a.to = base + CLI_CHUNK < set->n ? base + CLI_CHUNK : set->n;
        b.from = a.to;
        b.to = a.to + CLI_CHUNK < set->n ? a.to + CLI_CHUNK : set->n;
        sl_buf_reset(&a.out);
        sl_buf_reset(&b.out);
        threaded = par && b.from < b.to && pthread_create(&tid, NULL, cli_chunk_write, &b) == 0;
        cli_chunk_write(&a);
        if (threaded)
            pthread_join(tid, NULL);
        else
            cli_chunk_write(&b);
        rc = a.rc ? a.rc : b.rc;
        if (!rc && ((a.out.len && fwrite(a.out.ptr, 1, a.out.len, f) != a.out.len) ||
                    (b.out.len && fwrite(b.out.ptr, 1, b.out.len, f) != b.out.len)))
            rc = SL_EIO;
    }
    sl_buf_free(&a.out);
    sl_buf_free(&b.out);
    return rc;
}

static int cli_render(int argc, char **argv)
{
    cli_opts o;
    sl_config *cfg = NULL;
    sl_pipeline p;
    sl_buf out = SL_BUF_INIT;
    int json = 0, rc, code = EXIT_ERROR;

    memset(&p, 0, sizeof(p));
    if ((rc = cli_parse(argc, argv, "render", &o)))
        return rc < 0 ? EXIT_OK : rc;
    if (o.output && strcmp(o.output, "yaml") && strcmp(o.output, "json")) {
        fprintf(stderr, "error: render -o must be yaml or json\n");
        return EXIT_ERROR;
    }
    json = o.output && !strcmp(o.output, "json");
    if (cli_load(o.config, &cfg))
        goto out;
    if (cli_render_all(&p, cfg, &o))
        goto out;
    cli_print_notes(&p, stderr, 0);
    if (json) {
        cJSON *list = cJSON_CreateObject(), *items;
        char *text;
        cJSON_AddStringToObject(list, "apiVersion", "v1");
        cJSON_AddStringToObject(list, "kind", "List");
        items = cJSON_AddArrayToObject(list, "items");
        for (size_t i = 0; i < p.napps; i++)
            for (size_t j = 0; j < p.apps[i].objects->n; j++)
                cJSON_AddItemReferenceToArray(items, p.apps[i].objects->v[j].json);
        text = cJSON_Print(list);
        if (text)
            fputs(text, stdout), fputc('\n', stdout);
        free(text);
        cJSON_Delete(list);
    } else {
        for (size_t i = 0; i < p.napps; i++)
            if (cli_write_stream(p.apps[i].objects, stdout)) {
                fprintf(stderr, "error: cannot write YAML\n");
                goto out;
            }
    }
    if (fflush(stdout) == 0)
        code = EXIT_OK;
out:
    cli_exit_fast(code);
    sl_buf_free(&out);
    sl_pipeline_fini(&p);
    sl_config_free(cfg);
    return code;
}

static int cli_color(const cli_opts *o)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

    if (!strcmp(o->color, "always"))
        return 1;
    if (!strcmp(o->color, "never"))
        return 0;
    return isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

static double cli_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* apply --wait: poll the health of every object of the app until all are
 * ready, one failed, or timeout seconds passed. Prints what is not ready
 * and why. Returns 0 when all became ready. */
static int cli_wait(sl_rendered *r, double timeout)
{
    sl_target *t = r->app->target;
    double deadline = cli_now() + timeout, delay = 0.1;
    char idbuf[600];
    int first = 1;

    if (!t->ops->health)
        return 0;
    for (;;) {
        size_t notready = 0, failed = 0;
        sl_buf report = SL_BUF_INIT;
        int done;
        for (size_t i = 0; i < r->objects->n; i++) {
            const sl_objid *id = &r->objects->v[i].id;
            sl_health h;
            sl_error err;
            sl_error_clear(&err);
            if (t->ops->health(t, id, &h, &err)) {
                h.state = SL_HEALTH_PROGRESSING;
                snprintf(h.why, sizeof(h.why), "cannot read: %.400s", err.msg);
            }
            if (h.state == SL_HEALTH_READY)
                continue;
            notready++;
            failed += h.state == SL_HEALTH_FAILED;
            sl_buf_printf(&report, "  %s: %s: %s\n", sl_objid_str(id, idbuf, sizeof(idbuf)),
                          sl_health_name(h.state), h.why);
        }
        done = !notready || failed || cli_now() >= deadline;
        if (done) {
            if (!notready)
                printf("app %s: all %zu objects ready\n", r->app->name, r->objects->n);
            else
                fprintf(stderr, "error: app %s: %zu of %zu objects not ready%s:\n%s",
                        r->app->name, notready, r->objects->n,
                        failed ? "" : " (timed out)", report.ptr ? report.ptr : "");
            sl_buf_free(&report);
            fflush(stdout);
            return notready ? -1 : 0;
        }
        if (first)
            printf("app %s: waiting for %zu of %zu objects to become ready\n", r->app->name,
                   notready, r->objects->n);
        first = 0;
        fflush(stdout);
        sl_buf_free(&report);
        {
            struct timespec ts = {(time_t)delay, (long)((delay - (long)delay) * 1e9)};
            nanosleep(&ts, NULL);
        }
        if (delay < 2)
            delay *= 1.5;
    }
}

/* diff (apply = 0) and apply (apply = 1). */
static int cli_diff_apply(int argc, char **argv, int apply)
{
    const char *cmd = apply ? "apply" : "diff";
    cli_opts o;
    sl_config *cfg = NULL;
    sl_pipeline p;
    sl_plan **plans = NULL;
    sl_buf out = SL_BUF_INIT;
    sl_outfmt fmt = SL_OUT_TEXT;
    size_t nplans = 0, changes = 0;
    int rc, failed = 0, code = EXIT_ERROR;

    memset(&p, 0, sizeof(p));
    if ((rc = cli_parse(argc, argv, cmd, &o)))
        return rc < 0 ? EXIT_OK : rc;
    if (o.output) {
        if (!strcmp(o.output, "json"))
            fmt = SL_OUT_JSON;
        else if (!strcmp(o.output, "markdown"))
            fmt = SL_OUT_MARKDOWN;
        else if (strcmp(o.output, "text")) {
            fprintf(stderr, "error: %s -o must be text, json or markdown\n", cmd);
            return EXIT_ERROR;
        }
    }
    if (cli_load(o.config, &cfg))
        goto out;
    if (cli_render_all(&p, cfg, &o)) {
        /* A failed render never applies or prunes anything. */
        if (apply) {
            fprintf(stderr, "error: nothing applied: %s\n",
                    "fix the errors above (a failed render never applies or prunes)");
            goto out;
        }
        failed = 1;
    }
    plans = calloc(p.napps + 1, sizeof(*plans));
    if (!plans)
        goto out;
    for (size_t i = 0; i < p.napps; i++) {
        sl_rendered *r = &p.apps[i];
        sl_plan_opts po = {.prune = r->app->prune,
                           .allow_empty = r->app->allow_empty,
                           .max_prune_share = r->app->max_prune_share,
                           .max_prune_count = r->app->max_prune_count};
        sl_error err;
        if (!r->objects)
            continue;
        sl_error_clear(&err);
        if (sl_plan_build(r->app->name, r->app->target->name, r->revision, r->objects,
                          r->app->target, &po, &plans[nplans], &err)) {
            cli_print_error(&err, r->app->name);
            failed = 1;
            continue;
        }
        nplans++;
    }
    if (apply && failed) {
        fprintf(stderr, "error: nothing applied: planning failed\n");
        goto out;
    }
    for (size_t i = 0; i < nplans; i++)
        changes += plans[i]->counts[SL_ACT_CREATE] + plans[i]->counts[SL_ACT_UPDATE] +
                   plans[i]->counts[SL_ACT_PRUNE];
    if (sl_report_write(&out, plans, nplans, fmt, fmt == SL_OUT_TEXT && cli_color(&o))) {
        fprintf(stderr, "error: cannot write the report\n");
        goto out;
    }
    fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
    cli_print_notes(&p, fmt == SL_OUT_JSON ? stderr : stdout, fmt == SL_OUT_MARKDOWN);
    fflush(stdout);
    if (apply) {
        size_t pi = 0;
        for (size_t i = 0; i < p.napps; i++) {
            sl_rendered *r = &p.apps[i];
            sl_apply_opts ao = {.app = r->app->name,
                                .field_manager = "sluice",
                                .confirm_prune = o.confirm_prune};
            sl_error err;
            if (!r->objects)
                continue;
            sl_error_clear(&err);
            if (sl_plan_apply(plans[pi], r->objects, r->app->target, &ao, &err)) {
                cli_print_error(&err, r->app->name);
                failed = 1;
            } else if (o.wait && cli_wait(r, o.timeout)) {
                failed = 1;
            }
            pi++;
        }
        code = failed ? EXIT_ERROR : EXIT_OK;
        goto out;
    }
    code = failed ? EXIT_ERROR : changes ? EXIT_CHANGES : EXIT_OK;
out:
    cli_exit_fast(code);
    for (size_t i = 0; i < nplans; i++)
        sl_plan_free(plans[i]);
    free(plans);
    sl_buf_free(&out);
    sl_pipeline_fini(&p);
    sl_config_free(cfg);
    return code;
}

static int cli_run(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"listen", required_argument, NULL, 'l'},
                                             {"watch", no_argument, NULL, 'w'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    sl_daemon_opts o = {0};
    int ch;

    o.config = getenv("SLUICE_CONFIG");
    if (!o.config || !*o.config)
        o.config = "sluice.yaml";
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o.config = optarg;
            break;
        case 'l':
            o.listen = optarg;
            break;
        case 'w':
            o.watch = 1;
            break;
        case 'h':
            cli_usage("run", stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "error: unknown or incomplete option \"%s\"\n\n", argv[optind - 1]);
            cli_usage("run", stderr);
            return EXIT_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "error: run takes no arguments\n");
        return EXIT_ERROR;
    }
    return sl_daemon_run(&o);
}

static int cli_validate(int argc, char **argv)
{
    cli_opts o;
    sl_config *cfg = NULL;
    int rc;

    if ((rc = cli_parse(argc, argv, "validate", &o)))
        return rc < 0 ? EXIT_OK : rc;
    if (o.napps) {
        fprintf(stderr, "error: validate takes no arguments\n");
        return EXIT_ERROR;
    }
    if (cli_load(o.config, &cfg))
        return EXIT_ERROR;
    printf("%s: valid (%zu sources, %zu targets, %zu apps)\n", o.config, cfg->nsources,
           cfg->ntargets, cfg->nspecs);
    sl_config_free(cfg);
    return EXIT_OK;
}

int sl_cli_main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        cli_usage("", stderr);
        return EXIT_ERROR;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        cli_usage(argc > 2 ? argv[2] : "", stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        if (argc > 2 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
            cli_usage("version", stdout);
            return EXIT_OK;
        }
        printf("sluice %s\n", SL_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "render"))
        return cli_render(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff"))
        return cli_diff_apply(argc - 1, argv + 1, 0);
    if (!strcmp(cmd, "apply"))
        return cli_diff_apply(argc - 1, argv + 1, 1);
    if (!strcmp(cmd, "validate"))
        return cli_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "status"))
        return sl_status_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "scaffold"))
        return sl_scaffold_main(argc - 1, argv + 1);
    fprintf(stderr, "error: unknown command \"%s\"\n\n", cmd);
    cli_usage("", stderr);
    return EXIT_ERROR;
}
