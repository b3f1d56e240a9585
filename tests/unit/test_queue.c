/* test_queue.c: the daemon's work queue. */
#include <pthread.h>
#include <unistd.h>

#include "sl_queue.h"
#include "sl_test.h"

static void test_coalesce(void)
{
    sl_queue *q;

    SL_CHECK_INT(sl_queue_new(3, &q), 0);
    for (int i = 0; i < 10; i++)
        sl_queue_add(q, 1, 0);
    SL_CHECK_INT(sl_queue_depth(q), 1);
    SL_CHECK_INT(sl_queue_take(q), 1);
    /* triggers while running: one more run afterwards, not ten */
    for (int i = 0; i < 10; i++)
        sl_queue_add(q, 1, 0);
    SL_CHECK_INT(sl_queue_depth(q), 1);
    sl_queue_done(q, 1, 0, 1, 10);
    SL_CHECK_INT(sl_queue_depth(q), 1);
    SL_CHECK_INT(sl_queue_take(q), 1);
    sl_queue_done(q, 1, 0, 1, 10);
    SL_CHECK_INT(sl_queue_depth(q), 0);
    sl_queue_free(q);
}

static void test_order_and_not_before(void)
{
    sl_queue *q;
    double now = sl_now();

    sl_queue_new(4, &q);
    sl_queue_add(q, 3, 0);
    sl_queue_add(q, 2, now + 3600); /* not yet */
    sl_queue_add(q, 0, 0);
    SL_CHECK_INT(sl_queue_take(q), 0);
    SL_CHECK_INT(sl_queue_take(q), 3);
    /* an earlier trigger cuts the wait short */
    sl_queue_add(q, 2, 0);
    SL_CHECK_INT(sl_queue_take(q), 2);
    sl_queue_free(q);
}

static void test_backoff(void)
{
    sl_queue *q;
    double w1, w2, w3;

    SL_CHECK(sl_backoff(1, 2, 300, 0) == 2);
    SL_CHECK(sl_backoff(3, 2, 300, 0) == 8);
    SL_CHECK(sl_backoff(20, 2, 300, 0) == 300);
    SL_CHECK(sl_backoff(20, 2, 300, 0.999) < 300 * 1.2 + 1e-9);
    sl_queue_new(1, &q);
    sl_queue_add(q, 0, 0);
    sl_queue_take(q);
    w1 = sl_queue_done(q, 0, 1, 1, 60);
    SL_CHECK(w1 >= 1 && w1 < 1.2 + 1e-9);
    SL_CHECK_INT(sl_queue_failures(q, 0), 1);
    SL_CHECK(sl_queue_due(q, 0) > sl_now() + 0.5); /* retried later by itself */
    sl_queue_add(q, 0, 0);                         /* a new trigger: now */
    SL_CHECK_INT(sl_queue_take(q), 0);
    w2 = sl_queue_done(q, 0, 1, 1, 60);
    SL_CHECK(w2 >= 2 && w2 < 2.4 + 1e-9);
    sl_queue_add(q, 0, 0);
    sl_queue_take(q);
    w3 = sl_queue_done(q, 0, 1, 1, 60);
    SL_CHECK(w3 >= 4 && w3 < 4.8 + 1e-9);
    sl_queue_add(q, 0, 0);
    sl_queue_take(q);
    SL_CHECK(sl_queue_done(q, 0, 0, 1, 60) == 0);
    SL_CHECK_INT(sl_queue_failures(q, 0), 0);
    sl_queue_free(q);
}

typedef struct worker_arg {
    sl_queue *q;
    int *running;
    int *max_running;
    int *runs;
    pthread_mutex_t *mu;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    long k;

    while ((k = sl_queue_take(a->q)) >= 0) {
        pthread_mutex_lock(a->mu);
        a->running[k]++;
        if (a->running[k] > a->max_running[k])
            a->max_running[k] = a->running[k];
        a->runs[k]++;
        pthread_mutex_unlock(a->mu);
        usleep(2000);
        pthread_mutex_lock(a->mu);
        a->running[k]--;
        pthread_mutex_unlock(a->mu);
        sl_queue_done(a->q, (size_t)k, 0, 1, 1);
    }
    return NULL;
}

static void test_concurrency(void)
{
    enum { KEYS = 8, THREADS = 4 };
    sl_queue *q;
    pthread_t th[THREADS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int running[KEYS] = {0}, max_running[KEYS] = {0}, runs[KEYS] = {0};
    worker_arg a = {NULL, running, max_running, runs, &mu};

    sl_queue_new(KEYS, &q);
    a.q = q;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, &a);
    for (int round = 0; round < 200; round++)
        sl_queue_add(q, (size_t)(round % KEYS), 0);
    for (int i = 0; i < 400 && sl_queue_depth(q); i++)
        usleep(5000);
    sl_queue_pause(q);
    SL_CHECK_INT(sl_queue_depth(q), 0);
    sl_queue_stop(q);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int k = 0; k < KEYS; k++) {
        SL_CHECK(runs[k] >= 1);
        SL_CHECK(runs[k] < 25); /* 25 triggers each, coalesced */
        SL_CHECK_INT(max_running[k], 1);
    }
    sl_queue_free(q);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_coalesce), SL_TEST_ENTRY(test_order_and_not_before),
             SL_TEST_ENTRY(test_backoff), SL_TEST_ENTRY(test_concurrency))
