/* hcl_lex.c: the HCL native-syntax scanner. Produces the whole token
 * stream of a file at once (as hclsyntax's scanner does): normal tokens,
 * quoted templates (T_OQUOTE, T_QLIT.., T_CQUOTE), heredocs (T_OHEREDOC,
 * one T_SLIT per line piece, T_CHEREDOC) and template sequences
 * (T_TINTERP/T_TCONTROL .. T_TSEQEND), tracking line, column (UTF-8
 * characters) and byte of every token. */
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

enum { M_NORMAL, M_QUOTED, M_HEREDOC, M_TEMPLATE };

typedef struct lex_mode {
    int mode;
    int depth;        /* M_NORMAL inside ${ }: open braces */
    int interp;       /* M_NORMAL entered from a template sequence */
    const char *marker; /* M_HEREDOC */
    size_t marker_len;
    int line_start;   /* M_HEREDOC: at the start of a line */
} lex_mode;

struct hcl_lexer {
    const sl_hcl_file *f;
    const char *src;
    size_t len, i;
    hcl_toks *out;
    sl_hcl_diags *diags;
    lex_mode *stack;
    size_t sn, scap;
    int rc;
    unsigned told; /* kinds of invalid token already reported (once each, as hclsyntax) */
};
typedef struct hcl_lexer lexer;

static const char *const tok_names[] = {
    [T_NIL] = "nothing", [T_OBRACE] = "\"{\"", [T_CBRACE] = "\"}\"", [T_OBRACK] = "\"[\"",
    [T_CBRACK] = "\"]\"", [T_OPAREN] = "\"(\"", [T_CPAREN] = "\")\"",
    [T_OQUOTE] = "opening quote", [T_CQUOTE] = "closing quote", [T_OHEREDOC] = "heredoc",
    [T_CHEREDOC] = "heredoc end", [T_STAR] = "\"*\"", [T_SLASH] = "\"/\"", [T_PLUS] = "\"+\"",
    [T_MINUS] = "\"-\"", [T_PERCENT] = "\"%\"", [T_EQUAL] = "\"=\"", [T_EQUALOP] = "\"==\"",
    [T_NOTEQUAL] = "\"!=\"", [T_LT] = "\"<\"", [T_LE] = "\"<=\"", [T_GT] = "\">\"",
    [T_GE] = "\">=\"", [T_AND] = "\"&&\"", [T_OR] = "\"||\"", [T_BANG] = "\"!\"",
    [T_DOT] = "\".\"", [T_COMMA] = "\",\"", [T_DCOLON] = "\"::\"", [T_ELLIPSIS] = "\"...\"",
    [T_FATARROW] = "\"=>\"", [T_QUESTION] = "\"?\"", [T_COLON] = "\":\"",
    [T_TINTERP] = "\"${\"", [T_TCONTROL] = "\"%{\"", [T_TSEQEND] = "\"}\"",
    [T_QLIT] = "string", [T_SLIT] = "string", [T_NUMBER] = "number", [T_IDENT] = "identifier",
    [T_COMMENT] = "comment", [T_NEWLINE] = "newline", [T_QNEWLINE] = "newline",
    [T_EOF] = "end of file", [T_INVALID] = "invalid character", [T_BADUTF8] = "invalid UTF-8",
};

const char *hcl_tok_name(hcl_tok_type t)
{
    return t < sizeof(tok_names) / sizeof(tok_names[0]) && tok_names[t] ? tok_names[t] : "token";
}

void hcl_toks_free(hcl_toks *t)
{
    if (!t)
        return;
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

/* Make room for more tokens in the window (rarely: it is reused). */
static int lex_grow(lexer *lx)
{
    size_t cap = lx->out->cap ? lx->out->cap * 2 : 256;
    hcl_tok *v = realloc(lx->out->v, cap * sizeof(*v));

    if (!v)
        return lx->rc = SL_ENOMEM;
    lx->out->v = v;
    lx->out->cap = cap;
    return 0;
}

/* Append a token of type for the next n bytes and advance over them. */
static inline int lex_emit(lexer *lx, hcl_tok_type type, size_t n)
{
    hcl_tok *t;

    if (lx->out->n == lx->out->cap && lex_grow(lx))
        return lx->rc;
    t = &lx->out->v[lx->out->n++];
    t->type = type;
    t->s = lx->src + lx->i;
    t->n = n;
    t->range.start = (uint32_t)lx->i;
    lx->i += n;
    t->range.end = (uint32_t)lx->i;
    return 0;
}

static int lex_push(lexer *lx, int mode)
{
    if (lx->sn == lx->scap) {
        size_t cap = lx->scap ? lx->scap * 2 : 16;
        lex_mode *v;
        if (cap > 100000)
            return lx->rc = SL_ELIMIT;
        v = realloc(lx->stack, cap * sizeof(*v));
        if (!v)
            return lx->rc = SL_ENOMEM;
        lx->stack = v;
        lx->scap = cap;
    }
    memset(&lx->stack[lx->sn], 0, sizeof(lx->stack[0]));
    lx->stack[lx->sn++].mode = mode;
    return 0;
}

/* Character classes: 1 identifier start (letters, '_', any byte >= 0x80:
 * checked as UTF-8 by the caller), 2 identifier continuation (also digits
 * and '-'). */
#define IDC(c)                                                                                     \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || (c) == '_' || (c) >= 0x80 ? 3    \
     : ((c) >= '0' && (c) <= '9') || (c) == '-'                                          ? 2    \
                                                                                         : 0)
#define IDC4(c) IDC(c), IDC((c) + 1), IDC((c) + 2), IDC((c) + 3)
#define IDC16(c) IDC4(c), IDC4((c) + 4), IDC4((c) + 8), IDC4((c) + 12)
#define IDC64(c) IDC16(c), IDC16((c) + 16), IDC16((c) + 32), IDC16((c) + 48)
static const unsigned char id_class[256] = {IDC64(0), IDC64(64), IDC64(128), IDC64(192)};

static int is_id_start(unsigned char c)
{
    return id_class[c] & 1;
}

static int is_id_cont(unsigned char c)
{
    return id_class[c] & 2;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length of a number literal at i: digits, then any run of digits, "."
 * followed by a digit and exponents (hclsyntax's scanner is as greedy, so
 * "1.2.3" is one token, reported as an invalid number). */
static size_t scan_number(const char *s, size_t len, size_t i)
{
    size_t j = i;

    while (j < len) {
        if (is_digit((unsigned char)s[j])) {
            j++;
        } else if (s[j] == '.' && j + 1 < len && is_digit((unsigned char)s[j + 1])) {
            j++;
        } else if ((s[j] == 'e' || s[j] == 'E') && j > i) {
            size_t k = j + 1;
            if (k < len && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < len && is_digit((unsigned char)s[k]))
                j = k;
            else
                break;
        } else {
            break;
        }
    }
    return j - i;
}

/* A heredoc opener at i: "<<" "-"? identifier newline. Returns its length
 * (including the newline) and the marker, or 0. */
static size_t scan_heredoc_open(const char *s, size_t len, size_t i, const char **marker,
                                size_t *mlen)
{
    size_t j = i + 2, k;

    if (j < len && s[j] == '-')
        j++;
    if (j >= len || !is_id_start((unsigned char)s[j]))
        return 0;
    k = j;
    while (k < len && is_id_cont((unsigned char)s[k]))
        k++;
    *marker = s + j;
    *mlen = k - j;
    if (k < len && s[k] == '\n')
        return k + 1 - i;
    if (k + 1 < len && s[k] == '\r' && s[k + 1] == '\n')
        return k + 2 - i;
    return 0;
}

/* Emit an invalid token; its diagnostic only for the first of its kind
 * (a bit in lx->told), as hclsyntax reports each kind once per file. */
static int lex_invalid_kind(lexer *lx, size_t n, unsigned kind, const char *summary,
                            const char *detail)
{
    hcl_tok *t;

    if (lex_emit(lx, T_INVALID, n))
        return lx->rc;
    t = &lx->out->v[lx->out->n - 1];
    if (!(lx->told & kind))
        sl_hcl_diag_error_at(lx->diags, lx->f, t->range, summary, "%s", detail);
    lx->told |= kind;
    return 0;
}

#define lex_invalid(lx, n, summary, detail) lex_invalid_kind(lx, n, 0, summary, detail)

static int lex_normal(lexer *lx)
{
    const char *s = lx->src;
    size_t len = lx->len, i = lx->i;
    lex_mode *m = &lx->stack[lx->sn - 1];
    unsigned char c = (unsigned char)s[i];
    char c1 = i + 1 < len ? s[i + 1] : 0, c2 = i + 2 < len ? s[i + 2] : 0;

    switch (c) {
    case ' ':
    case '\t': {
        /* A run of blanks at once (indentation and alignment are a large
         * part of most files); each is one column. */
        size_t j = i + 1;
        while (j < len && (s[j] == ' ' || s[j] == '\t'))
            j++;
        lx->i = j;
        return 0;
    }
    case '\r':
        if (c1 == '\n')
            return lex_emit(lx, T_NEWLINE, 2);
        lx->i++;
        return 0;
    case '\n':
        return lex_emit(lx, T_NEWLINE, 1);
    case '#':
    line_comment: {
        size_t j = i;
        while (j < len && s[j] != '\n')
            j++;
        if (j < len)
            j++;
        return lex_emit(lx, T_COMMENT, j - i);
    }
    case '/':
        if (c1 == '/')
            goto line_comment;
        if (c1 == '*') {
            const char *e = NULL;
            for (size_t j = i + 2; j + 1 < len; j++)
                if (s[j] == '*' && s[j + 1] == '/') {
                    e = s + j;
                    break;
                }
            if (!e)
                return lex_invalid(lx, len - i, "Unterminated comment",
                                   "There is no closing \"*/\" for this comment before the end "
                                   "of the file.");
            return lex_emit(lx, T_COMMENT, (size_t)(e + 2 - (s + i)));
        }
        return lex_emit(lx, T_SLASH, 1);
    case '{':
        m->depth++;
        return lex_emit(lx, T_OBRACE, 1);
    case '}':
        if (m->interp && m->depth == 0) {
            lx->sn--;
            return lex_emit(lx, T_TSEQEND, 1);
        }
        m->depth--;
        return lex_emit(lx, T_CBRACE, 1);
    case '~':
        if (c1 == '}' && m->interp && m->depth == 0) {
            lx->sn--;
            return lex_emit(lx, T_TSEQEND, 2);
        }
        return lex_invalid(lx, 1, "Invalid character",
                           "The \"~\" character is not valid at this point.");
    case '"':
        if (lex_emit(lx, T_OQUOTE, 1) || lex_push(lx, M_QUOTED))
            return lx->rc;
        return 0;
    case '<':
        if (c1 == '<') {
            const char *marker;
            size_t mlen, n = scan_heredoc_open(s, len, i, &marker, &mlen);
            if (n) {
                if (lex_emit(lx, T_OHEREDOC, n) || lex_push(lx, M_HEREDOC))
                    return lx->rc;
                lx->stack[lx->sn - 1].marker = marker;
                lx->stack[lx->sn - 1].marker_len = mlen;
                lx->stack[lx->sn - 1].line_start = 1;
                return 0;
            }
            return lex_invalid(lx, 2, "Invalid heredoc",
                               "A heredoc introducer \"<<\" must be followed by an identifier "
                               "and a newline, like <<EOT.");
        }
        if (c1 == '=')
            return lex_emit(lx, T_LE, 2);
        return lex_emit(lx, T_LT, 1);
    case '>':
        return c1 == '=' ? lex_emit(lx, T_GE, 2) : lex_emit(lx, T_GT, 1);
    case '=':
        if (c1 == '=')
            return lex_emit(lx, T_EQUALOP, 2);
        if (c1 == '>')
            return lex_emit(lx, T_FATARROW, 2);
        return lex_emit(lx, T_EQUAL, 1);
    case '!':
        return c1 == '=' ? lex_emit(lx, T_NOTEQUAL, 2) : lex_emit(lx, T_BANG, 1);
    case '&':
        if (c1 == '&')
            return lex_emit(lx, T_AND, 2);
        return lex_invalid_kind(lx, 1, 0, "Unsupported operator",
                                "Bitwise operators are not supported. Did you mean \"&&\"?");
    case '|':
        if (c1 == '|')
            return lex_emit(lx, T_OR, 2);
        return lex_invalid_kind(lx, 1, 0, "Unsupported operator",
                                "Bitwise operators are not supported. Did you mean \"||\"?");
    case '.':
        if (c1 == '.' && c2 == '.')
            return lex_emit(lx, T_ELLIPSIS, 3);
        return lex_emit(lx, T_DOT, 1);
    case ':':
        return c1 == ':' ? lex_emit(lx, T_DCOLON, 2) : lex_emit(lx, T_COLON, 1);
    case '(':
        return lex_emit(lx, T_OPAREN, 1);
    case ')':
        return lex_emit(lx, T_CPAREN, 1);
    case '[':
        return lex_emit(lx, T_OBRACK, 1);
    case ']':
        return lex_emit(lx, T_CBRACK, 1);
    case ',':
        return lex_emit(lx, T_COMMA, 1);
    case '?':
        return lex_emit(lx, T_QUESTION, 1);
    case '*':
        return lex_emit(lx, T_STAR, 1);
    case '+':
        return lex_emit(lx, T_PLUS, 1);
    case '-':
        return lex_emit(lx, T_MINUS, 1);
    case '%':
        return lex_emit(lx, T_PERCENT, 1);
    default:
        break;
    }
    if (is_digit(c))
        return lex_emit(lx, T_NUMBER, scan_number(s, len, i));
    if (is_id_start(c)) {
        size_t j = i + 1;
        if (c >= 0x80) {
            uint32_t cp;
            int l = hcl_utf8_decode(s + i, len - i, &cp);
            if (cp == 0xFFFD && l == 1)
                return lex_invalid(lx, 1, "Invalid character encoding",
                                   "All input files must be UTF-8 encoded.");
            if (hcl_is_unicode_space(cp)) {
                lx->i += (size_t)l;
                return 0;
            }
            j = i + (size_t)l;
        }
        while (j < len && is_id_cont((unsigned char)s[j])) {
            if ((unsigned char)s[j] >= 0x80) {
                uint32_t cp;
                int l = hcl_utf8_decode(s + j, len - j, &cp);
                if ((cp == 0xFFFD && l == 1) || hcl_is_unicode_space(cp))
                    break;
                j += (size_t)l;
            } else {
                j++;
            }
        }
        return lex_emit(lx, T_IDENT, j - i);
    }
    {
        char msg[96];
        if (c < 0x20 || c == 0x7f)
            snprintf(msg, sizeof(msg), "This character (0x%02x) is not used within the language.",
                     c);
        else
            snprintf(msg, sizeof(msg), "This character (\"%c\") is not used within the language.",
                     c);
        if (c == '\'')
            return lex_invalid_kind(lx, 1, 2u, "Invalid character",
                                    "Single quotes are not valid. Use double quotes (\") to "
                                    "enclose strings.");
        if (c == ';')
            return lex_invalid_kind(lx, 1, 4u, "Invalid character",
                                    "The \";\" character is not valid. Use newlines to separate "
                                    "arguments and blocks, and commas to separate items in "
                                    "collection values.");
        if (c == '`')
            return lex_invalid_kind(lx, 1, 8u, "Invalid character",
                                    "The \"`\" character is not valid. To create a multi-line "
                                    "string, use the \"heredoc\" syntax, like \"<<EOT\".");
        return lex_invalid_kind(lx, 1, 16u, "Invalid character", msg);
    }
}

/* Start a template sequence at i ("${" or "%{", maybe with "~"). */
static int lex_seq(lexer *lx, int control)
{
    size_t n = (lx->i + 2 < lx->len && lx->src[lx->i + 2] == '~') ? 3 : 2;

    if (lex_emit(lx, control ? T_TCONTROL : T_TINTERP, n) || lex_push(lx, M_NORMAL))
        return lx->rc;
    lx->stack[lx->sn - 1].interp = 1;
    return 0;
}

/* Literal text of a template up to a sequence start, the closing quote
 * (quoted), a newline (quoted: excluded; heredoc: included) or the end. */
static size_t lit_len(const lexer *lx, int quoted, int stop_quote)
{
    const char *s = lx->src;
    size_t len = lx->len, j = lx->i;

    while (j < len) {
        char c = s[j];
        if (quoted && c == '\\' && j + 1 < len && s[j + 1] != '\n' && s[j + 1] != '\r') {
            j += 2;
            continue;
        }
        if (stop_quote && c == '"')
            break;
        if ((c == '$' || c == '%') && j + 1 < len) {
            if (s[j + 1] == c && j + 2 < len && s[j + 2] == '{') {
                j += 3;
                continue;
            }
            if (s[j + 1] == '{')
                break;
        }
        if (c == '\n') {
            if (!quoted)
                j++;
            break;
        }
        if (quoted && c == '\r' && j + 1 < len && s[j + 1] == '\n')
            break;
        j++;
    }
    return j - lx->i;
}

static int lex_quoted(lexer *lx)
{
    const char *s = lx->src + lx->i;
    size_t left = lx->len - lx->i, n;

    if (s[0] == '"') {
        lx->sn--;
        return lex_emit(lx, T_CQUOTE, 1);
    }
    if (left >= 2 && s[0] == '$' && s[1] == '{')
        return lex_seq(lx, 0);
    if (left >= 2 && s[0] == '%' && s[1] == '{')
        return lex_seq(lx, 1);
    if (s[0] == '\n' || (left >= 2 && s[0] == '\r' && s[1] == '\n')) {
        if (lex_emit(lx, T_QNEWLINE, s[0] == '\n' ? 1 : 2))
            return lx->rc;
        sl_hcl_diag_error_at(lx->diags, lx->f, lx->out->v[lx->out->n - 1].range,
                          "Invalid multi-line string",
                          "Quoted strings may not be split over multiple lines. To produce a "
                          "multi-line string, either use the \\n escape to represent a newline "
                          "character or use the \"heredoc\" multi-line template syntax.");
        return 0;
    }
    n = lit_len(lx, 1, 1);
    if (!n)
        n = 1;
    return lex_emit(lx, T_QLIT, n);
}

static int lex_heredoc(lexer *lx)
{
    lex_mode *m = &lx->stack[lx->sn - 1];
    const char *s = lx->src + lx->i;
    size_t left = lx->len - lx->i, n;

    if (m->line_start) {
        size_t j = 0;
        while (j < left && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (left - j >= m->marker_len && !memcmp(s + j, m->marker, m->marker_len)) {
            size_t k = j + m->marker_len;
            if (k == left || s[k] == '\n' || (s[k] == '\r' && k + 1 < left && s[k + 1] == '\n')) {
                lx->sn--;
                return lex_emit(lx, T_CHEREDOC, k);
            }
        }
    }
    m->line_start = 0;
    if (left >= 2 && s[0] == '$' && s[1] == '{')
        return lex_seq(lx, 0);
    if (left >= 2 && s[0] == '%' && s[1] == '{')
        return lex_seq(lx, 1);
    n = lit_len(lx, 0, 0);
    if (!n)
        n = 1;
    if (s[n - 1] == '\n')
        m->line_start = 1;
    return lex_emit(lx, T_SLIT, n);
}

static int lex_template(lexer *lx)
{
    const char *s = lx->src + lx->i;
    size_t left = lx->len - lx->i, n;

    if (left >= 2 && s[0] == '$' && s[1] == '{')
        return lex_seq(lx, 0);
    if (left >= 2 && s[0] == '%' && s[1] == '{')
        return lex_seq(lx, 1);
    n = lit_len(lx, 0, 0);
    if (!n)
        n = 1;
    return lex_emit(lx, T_SLIT, n);
}

int hcl_lex_new(const sl_hcl_file *f, int mode, hcl_toks *out, sl_hcl_diags *diags,
                hcl_lexer **out_lx)
{
    lexer *lx = calloc(1, sizeof(*lx));

    *out_lx = NULL;
    if (!lx)
        return SL_ENOMEM;
    const char *src = f->src;
    size_t len = f->len;

    lx->f = f;
    lx->src = src;
    lx->len = len;
    lx->out = out;
    lx->diags = diags;
    /* Skip a UTF-8 byte order mark. */
    if (len >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3))
        lx->i = 3;
    if (lex_push(lx, mode == HCL_SCAN_TEMPLATE ? M_TEMPLATE : M_NORMAL)) {
        free(lx);
        return SL_ENOMEM;
    }
    *out_lx = lx;
    return 0;
}

/* Scan until at least one token is appended (or the end is reached). */
int hcl_lex_more(hcl_lexer *lx)
{
    size_t before = lx->out->base + lx->out->n;

    if (lx->out->eof)
        return 0;
    /* A batch of tokens per call (the parser asks for more when it reaches
     * the end of what it has). */
    while (lx->i < lx->len && !lx->rc && lx->out->base + lx->out->n < before + 128) {
        if (!lx->sn && lex_push(lx, M_NORMAL))
            break;
        switch (lx->stack[lx->sn - 1].mode) {
        case M_NORMAL:
            lex_normal(lx);
            break;
        case M_QUOTED:
            lex_quoted(lx);
            break;
        case M_HEREDOC:
            lex_heredoc(lx);
            break;
        default:
            lex_template(lx);
            break;
        }
    }
    if (!lx->rc && lx->i >= lx->len && lx->out->base + lx->out->n == before) {
        if (!lex_emit(lx, T_EOF, 0))
            lx->out->eof = 1;
    }
    return lx->rc;
}

void hcl_lex_free(hcl_lexer *lx)
{
    if (!lx)
        return;
    free(lx->stack);
    free(lx);
}

/* Escapes: quoted literals process \n \r \t \" \\ \uNNNN \UNNNNNNNN; both
 * kinds turn $${ into ${ and %%{ into %{. */
int hcl_unescape(const sl_hcl_file *f, const hcl_tok *tok, int quoted, sl_buf *out,
                 sl_hcl_diags *diags)
{
    const char *s = tok->s;
    size_t n = tok->n, i = 0;
    int rc = 0;

    while (i < n && !rc) {
        char c = s[i];
        if (quoted && c == '\\') {
            char e = i + 1 < n ? s[i + 1] : 0;
            size_t hex = 0;
            switch (e) {
            case 'n':
                rc = sl_buf_putc(out, '\n');
                i += 2;
                continue;
            case 'r':
                rc = sl_buf_putc(out, '\r');
                i += 2;
                continue;
            case 't':
                rc = sl_buf_putc(out, '\t');
                i += 2;
                continue;
            case '"':
                rc = sl_buf_putc(out, '"');
                i += 2;
                continue;
            case '\\':
                rc = sl_buf_putc(out, '\\');
                i += 2;
                continue;
            case 'u':
                hex = 4;
                break;
            case 'U':
                hex = 8;
                break;
            default:
                break;
            }
            if (hex) {
                uint32_t cp = 0;
                size_t k;
                char enc[4];
                for (k = 0; k < hex && i + 2 + k < n; k++) {
                    char h = s[i + 2 + k];
                    int v = (h >= '0' && h <= '9')   ? h - '0'
                            : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                            : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                     : -1;
                    if (v < 0)
                        break;
                    cp = cp * 16 + (uint32_t)v;
                }
                if (k != hex || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    sl_hcl_diag_error_at(diags, f, tok->range, "Invalid escape sequence",
                                      "The \\%c escape sequence must be followed by %zu "
                                      "hexadecimal digits of a valid character.",
                                      e, hex);
                    i += 2 + k;
                    continue;
                }
                rc = sl_buf_put(out, enc, (size_t)hcl_utf8_encode(cp, enc));
                i += 2 + hex;
                continue;
            }
            {
                sl_hcl_diag_error_at(diags, f, tok->range, "Invalid escape sequence",
                                  "The symbol \"%c\" is not a valid escape sequence selector.",
                                  e ? e : ' ');
                if (i + 1 < n)
                    rc = sl_buf_putc(out, e);
                i += 2;
                continue;
            }
        }
        if ((c == '$' || c == '%') && i + 2 < n && s[i + 1] == c && s[i + 2] == '{') {
            rc = sl_buf_putc(out, c);
            if (!rc)
                rc = sl_buf_putc(out, '{');
            i += 3;
            continue;
        }
        rc = sl_buf_putc(out, c);
        i++;
    }
    return rc;
}
