/* fuzz_webhook.c: the webhook handler's pure part on arbitrary input.
 *
 * Input layout: five header lines, then the raw body:
 *   X-GitHub-Event \n X-Hub-Signature-256 \n X-GitHub-Delivery \n
 *   source URL \n source ref \n body...
 * Missing lines are NULL headers. Checks, besides memory safety:
 * - the body verifies with its own HMAC under the secret, and not under
 *   another secret; the given signature verifies only if it is that HMAC;
 * - a parsed push has a URL and a ref, and matches a source configured with
 *   its own URL and ref (unless the ref is a commit id);
 * - sl_webhook_url_key always NUL-terminates within its buffer. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "sl_webhook.h"

#define FUZZ_SECRET "fuzz secret"

static void must(int ok)
{
    if (!ok)
        abort();
}

static int is_commit(const char *s)
{
    size_t l = strlen(s);

    if (l != 40 && l != 64)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), *p, *field[5] = {NULL, NULL, NULL, NULL, NULL};
    const char *body;
    size_t blen;
    unsigned char mac[32];
    unsigned int ml = 0;
    char sig[80], key[64];
    sl_webhook_event ev;
    sl_error err;
    int own_ok;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    p = copy;
    for (int i = 0; i < 5 && p < copy + size; i++) {
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        if (!nl)
            break;
        *nl = '\0';
        field[i] = p;
        p = nl + 1;
    }
    body = p;
    blen = (size_t)(copy + size - p);

    /* signatures */
    must(HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET), (const unsigned char *)body,
              blen, mac, &ml) != NULL);
    snprintf(sig, sizeof(sig), "sha256=");
    for (unsigned i = 0; i < ml; i++)
        snprintf(sig + 7 + 2 * i, sizeof(sig) - 7 - 2 * i, "%02x", mac[i]);
    must(sl_webhook_verify(FUZZ_SECRET, strlen(FUZZ_SECRET), body, blen, sig, &err) == 0);
    must(sl_webhook_verify("other", 5, body, blen, sig, &err) == SL_EREFUSED);
    own_ok = sl_webhook_verify(FUZZ_SECRET, strlen(FUZZ_SECRET), body, blen, field[1], &err) == 0;
    if (own_ok)
        must(field[1] && !strncasecmp(field[1], sig, strlen(sig)) &&
             strlen(field[1]) == strlen(sig));

    /* parsing and matching */
    if (sl_webhook_parse(field[0], field[2], body, blen, &ev, &err) == 0) {
        must(memchr(ev.event, 0, sizeof(ev.event)) && memchr(ev.delivery, 0, sizeof(ev.delivery)) &&
             memchr(ev.ref, 0, sizeof(ev.ref)) && memchr(ev.after, 0, sizeof(ev.after)));
        must(ev.nurls <= SL_WEBHOOK_MAX_URLS);
        if (!strcmp(ev.event, "push")) {
            must(ev.nurls >= 1 && ev.ref[0]);
            for (size_t i = 0; i < ev.nurls; i++) {
                must(memchr(ev.urls[i], 0, sizeof(ev.urls[i])) != NULL);
                if (!is_commit(ev.ref))
                    must(sl_webhook_matches(&ev, ev.urls[i], ev.ref) == 1);
            }
        } else
            must(sl_webhook_matches(&ev, ev.nurls ? ev.urls[0] : "x", NULL) == 0);
        (void)sl_webhook_matches(&ev, field[3], field[4]);
    }
    if (field[3]) {
        memset(key, 'x', sizeof(key));
        sl_webhook_url_key(field[3], key, sizeof(key));
        must(memchr(key, 0, sizeof(key)) != NULL);
    }
    free(copy);
    return 0;
}
