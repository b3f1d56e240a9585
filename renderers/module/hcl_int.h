/* hcl_int.h: internals shared by the HCL engine's files (tokens, scanner,
 * helpers). Not part of the engine's API. */
#ifndef SL_HCL_INT_H
#define SL_HCL_INT_H

#include "hcl.h"

typedef enum hcl_tok_type {
    T_NIL = 0,
    T_OBRACE, T_CBRACE, T_OBRACK, T_CBRACK, T_OPAREN, T_CPAREN,
    T_OQUOTE, T_CQUOTE, T_OHEREDOC, T_CHEREDOC,
    T_STAR, T_SLASH, T_PLUS, T_MINUS, T_PERCENT,
    T_EQUAL, T_EQUALOP, T_NOTEQUAL, T_LT, T_LE, T_GT, T_GE,
    T_AND, T_OR, T_BANG, T_DOT, T_COMMA, T_DCOLON, T_ELLIPSIS, T_FATARROW,
    T_QUESTION, T_COLON,
    T_TINTERP, T_TCONTROL, T_TSEQEND,
    T_QLIT,   /* literal part of a quoted template (escapes unprocessed) */
    T_SLIT,   /* literal part of a heredoc / bare template */
    T_NUMBER, T_IDENT, T_COMMENT, T_NEWLINE, T_QNEWLINE, T_EOF,
    T_INVALID, T_BADUTF8,
} hcl_tok_type;

typedef struct hcl_tok {
    hcl_tok_type type;
    uint32_t hash; /* T_IDENT, T_NUMBER, T_QLIT: the parser's intern hash of the text */
    const char *s; /* into the source */
    size_t n;
    sl_hcl_span range;
} hcl_tok;

/* A window of the token stream: v[0] is token number base. */
typedef struct hcl_toks {
    hcl_tok *v;
    size_t n, cap;
    size_t base;
    int eof; /* the T_EOF token has been appended */
} hcl_toks;

enum { HCL_SCAN_CONFIG, HCL_SCAN_EXPR, HCL_SCAN_TEMPLATE };

/* The scanner runs on demand: hcl_lex_more appends at least one token to
 * out (the stream ends with T_EOF, after which out->eof is set). Lexical
 * errors (invalid characters, unterminated comments) go to diags. Returns
 * 0, SL_ENOMEM or SL_ELIMIT. */
typedef struct hcl_lexer hcl_lexer;
int hcl_lex_new(const sl_hcl_file *f, int mode, hcl_toks *out, sl_hcl_diags *diags,
                hcl_lexer **lx);
int hcl_lex_more(hcl_lexer *lx);
void hcl_lex_free(hcl_lexer *lx);
void hcl_toks_free(hcl_toks *t);
const char *hcl_tok_name(hcl_tok_type t);

/* Decode an escape-bearing literal token (quoted: process backslash
 * escapes; both: $${ and %%{). Appends to out, diagnostics to diags. */
int hcl_unescape(const sl_hcl_file *f, const hcl_tok *tok, int quoted, sl_buf *out,
                 sl_hcl_diags *diags);

/* Grow the allocation p of old bytes to new bytes in place when it is the
 * arena's last one and its chunk has room: 1 if done (the added bytes are
 * zero), else 0 (p is unchanged; allocate anew). */
int hcl_arena_grow(sl_hcl_arena *a, void *p, size_t old, size_t new_size);

/* UTF-8 helpers. */
int hcl_utf8_valid(const char *s, size_t n);
/* Decode one code point at s (n bytes left); returns its length (>=1) and
 * sets *cp (U+FFFD for bad bytes). */
int hcl_utf8_decode(const char *s, size_t n, uint32_t *cp);
int hcl_utf8_encode(uint32_t cp, char *out);
int hcl_is_unicode_space(uint32_t cp);
/* Unicode NFC of s; *out is NULL when s is already normalised, else a
 * malloc'd string of *outn bytes. */
int hcl_nfc(const char *s, size_t n, char **out, size_t *outn);

/* Evaluation helpers shared by eval and funcs: an error about e (or span
 * at) of ctx->file. */
int hcl_eval_error(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const char *summary, const char *fmt,
                   ...) SL_PRINTF(4, 5);
int hcl_eval_error_at(sl_hcl_ctx *ctx, sl_hcl_span at, const char *summary, const char *fmt, ...)
    SL_PRINTF(4, 5);
const sl_hcl_value *hcl_unmark(const sl_hcl_value *v);

#endif
