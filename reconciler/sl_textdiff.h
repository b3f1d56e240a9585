/* sl_textdiff.h: line-based unified diff (Myers). */
#ifndef SL_TEXTDIFF_H
#define SL_TEXTDIFF_H

#include <stddef.h>
#include "sl_buf.h"

/* Append a unified diff of a -> b to out, with "--- label_a" / "+++ label_b"
 * headers, hunks with `context` lines of context (3 in diff -u), and ANSI
 * colour (red deletions, green additions, cyan hunk headers) when color is
 * non-zero. Identical inputs append nothing. A missing final newline is
 * shown as diff does ("\ No newline at end of file"). */
int sl_textdiff_unified(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                        const char *label_b, int context, int color, sl_buf *out);

#endif
