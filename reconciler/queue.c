/* queue.c: the daemon's coalescing work queue with backoff. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "sl_error.h"
#include "sl_queue.h"

typedef struct queue_key {
    int pending;
    int running;
    int again; /* triggered while running */
    double not_before;
    int failures;
} queue_key;

struct sl_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work may be ready, or stop/pause changed */
    pthread_cond_t idle_cv; /* a running key finished */
    queue_key *keys;
    size_t n;
    size_t running;
    int stopped;
    int paused;
    unsigned int seed;
};

double sl_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double sl_backoff(int n, double base, double cap, double r)
{
    double d = base * pow(2.0, n > 1 ? n - 1 : 0);

    if (d > cap)
        d = cap;
    return d * (1.0 + 0.2 * r);
}

int sl_queue_new(size_t nkeys, sl_queue **out)
{
    sl_queue *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    if (!q)
        return SL_ENOMEM;
    q->keys = calloc(nkeys ? nkeys : 1, sizeof(*q->keys));
    if (!q->keys) {
        free(q);
        return SL_ENOMEM;
    }
    q->n = nkeys;
    q->seed = (unsigned int)time(NULL) ^ (unsigned int)(size_t)q;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_cond_init(&q->idle_cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = q;
    return 0;
}

void sl_queue_free(sl_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    pthread_cond_destroy(&q->idle_cv);
    free(q->keys);
    free(q);
}

void sl_queue_add(sl_queue *q, size_t key, double not_before)
{
    queue_key *k;

    if (key >= q->n)
        return;
    pthread_mutex_lock(&q->mu);
    k = &q->keys[key];
    if (k->running) {
        k->again = 1;
        if (!k->pending || not_before < k->not_before)
            k->not_before = not_before;
    } else if (!k->pending) {
        k->pending = 1;
        k->not_before = not_before;
    } else if (not_before < k->not_before) {
        k->not_before = not_before;
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

long sl_queue_take(sl_queue *q)
{
    long got = -1;

    pthread_mutex_lock(&q->mu);
    while (!q->stopped && !q->paused) {
        double now = sl_now(), next = 0;
        for (size_t i = 0; i < q->n; i++) {
            queue_key *k = &q->keys[i];
            if (!k->pending || k->running)
                continue;
            if (k->not_before <= now) {
                got = (long)i;
                break;
            }
            if (next == 0 || k->not_before < next)
                next = k->not_before;
        }
        if (got >= 0) {
            q->keys[got].pending = 0;
            q->keys[got].running = 1;
            q->running++;
            break;
        }
        if (next > 0) {
            struct timespec ts;
            ts.tv_sec = (time_t)next;
            ts.tv_nsec = (long)((next - floor(next)) * 1e9);
            pthread_cond_timedwait(&q->cv, &q->mu, &ts);
        } else {
            pthread_cond_wait(&q->cv, &q->mu);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

double sl_queue_done(sl_queue *q, size_t key, int failed, double base, double cap)
{
    queue_key *k;
    double wait = 0;

    if (key >= q->n)
        return 0;
    pthread_mutex_lock(&q->mu);
    k = &q->keys[key];
    if (k->running) {
        k->running = 0;
        q->running--;
    }
    if (failed) {
        k->failures++;
        wait = sl_backoff(k->failures, base, cap, (double)rand_r(&q->seed) / RAND_MAX);
        if (k->again) {
            /* New input arrived meanwhile: try it now. */
            k->pending = 1;
        } else {
            k->pending = 1;
            k->not_before = sl_now() + wait;
        }
    } else {
        k->failures = 0;
        if (k->again)
            k->pending = 1;
    }
    k->again = 0;
    pthread_cond_broadcast(&q->cv);
    pthread_cond_broadcast(&q->idle_cv);
    pthread_mutex_unlock(&q->mu);
    return wait;
}

size_t sl_queue_depth(sl_queue *q)
{
    size_t n = 0;

    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < q->n; i++)
        n += q->keys[i].pending || q->keys[i].running;
    pthread_mutex_unlock(&q->mu);
    return n;
}

int sl_queue_failures(sl_queue *q, size_t key)
{
    int f;

    if (key >= q->n)
        return 0;
    pthread_mutex_lock(&q->mu);
    f = q->keys[key].failures;
    pthread_mutex_unlock(&q->mu);
    return f;
}

double sl_queue_due(sl_queue *q, size_t key)
{
    double t;

    if (key >= q->n)
        return 0;
    pthread_mutex_lock(&q->mu);
    t = q->keys[key].pending ? q->keys[key].not_before : 0;
    pthread_mutex_unlock(&q->mu);
    return t;
}

void sl_queue_pause(sl_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->paused = 1;
    pthread_cond_broadcast(&q->cv);
    while (q->running)
        pthread_cond_wait(&q->idle_cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

void sl_queue_resume(sl_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->paused = 0;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void sl_queue_stop(sl_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopped = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
