/* sl_queue.h: the daemon's work queue. Work is identified by a key
 * (0..n-1: a source fetch or an app reconcile). A key is pending at most
 * once (triggers coalesce), never runs twice at once (a trigger while it
 * runs makes it run again afterwards), waits until its not-before time, and
 * backs off exponentially with jitter after failures. Lower keys go first
 * among ready ones. Thread-safe. */
#ifndef SL_QUEUE_H
#define SL_QUEUE_H

#include <stddef.h>

typedef struct sl_queue sl_queue;

/* Monotonic seconds. */
double sl_now(void);

int sl_queue_new(size_t nkeys, sl_queue **out);
void sl_queue_free(sl_queue *q);

/* Make key pending, ready from not_before (monotonic seconds; 0 = now). A
 * key already pending keeps the earlier of the two times, so a new trigger
 * cuts a failure backoff short. */
void sl_queue_add(sl_queue *q, size_t key, double not_before);

/* Wait for a ready key and mark it running; -1 once the queue is stopped
 * or paused (after pausing, take returns -1 until resumed). */
long sl_queue_take(sl_queue *q);

/* Finish a running key. On failure the key is pending again after the
 * backoff: min(cap, base * 2^(failures-1)) * (1 + jitter in [0, 0.2)).
 * On success the failure count resets. A trigger that came while it ran
 * makes it pending now. Returns the backoff used (0 on success). */
double sl_queue_done(sl_queue *q, size_t key, int failed, double base, double cap);

/* Pending plus running keys. */
size_t sl_queue_depth(sl_queue *q);
/* Consecutive failures of key. */
int sl_queue_failures(sl_queue *q, size_t key);
/* The time key is next due if pending, else 0. */
double sl_queue_due(sl_queue *q, size_t key);

/* Stop handing out work (take returns -1) and wait until nothing runs. */
void sl_queue_pause(sl_queue *q);
void sl_queue_resume(sl_queue *q);
/* Stop for good: wakes every waiter. */
void sl_queue_stop(sl_queue *q);

/* The backoff for the n-th consecutive failure (n >= 1), jitter r in [0,1). */
double sl_backoff(int n, double base, double cap, double r);

#endif
