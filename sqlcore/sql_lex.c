/* sql_lex.c - the SQL tokenizer: a pull lexer in the manner of SQLite's
 * getToken, tracking line and column for every token. */
#include "sql_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void sql_lex_init(struct sql_lexer *lx, const char *text)
{
    lx->text = lx->p = lx->line_start = text;
    lx->line = 1;
}

void sql_error_set(struct sql_error *err, int line, int col, const char *fmt, ...)
{
    if (!err)
        return;
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

int sql_tok_is(const struct token *t, const char *kw)
{
    return t->type == T_IDENT && strlen(kw) == t->len && strncasecmp(t->start, kw, t->len) == 0;
}

static int ident_start(int c) { return isalpha(c) || c == '_'; }
static int ident_char(int c) { return isalnum(c) || c == '_'; }

struct token sql_lex_next(struct sql_lexer *lx, struct sql_error *err)
{
    const char *p = lx->p;
    for (;;) { /* whitespace and comments */
        if (*p == '\n') {
            lx->line++;
            lx->line_start = ++p;
        } else if (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *q = p + 2;
            while (*q && !(q[0] == '*' && q[1] == '/')) {
                if (*q == '\n') {
                    lx->line++;
                    lx->line_start = q + 1;
                }
                q++;
            }
            p = *q ? q + 2 : q;
        } else {
            break;
        }
    }
    struct token t = {T_EOF, p, 0, lx->line, (int)(p - lx->line_start) + 1};
    unsigned char c = (unsigned char)*p;
    if (c == '\0') {
        lx->p = p;
        return t;
    }
    if (ident_start(c)) {
        while (ident_char((unsigned char)*p))
            p++;
        t.type = T_IDENT;
    } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
        t.type = T_INT;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '.') {
            t.type = T_FLOAT;
            p++;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if ((*p == 'e' || *p == 'E') &&
            (isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
            t.type = T_FLOAT;
            p += 2;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (ident_char((unsigned char)*p)) {
            while (ident_char((unsigned char)*p))
                p++;
            t.type = T_ERROR;
            t.len = (size_t)(p - t.start);
            sql_error_set(err, t.line, t.col, "malformed number '%.*s'", (int)t.len, t.start);
            lx->p = p;
            return t;
        }
    } else if (c == '\'' || c == '"') {
        /* 'string' or "identifier"; a doubled quote stands for itself. */
        char q = (char)c;
        p++;
        for (;;) {
            if (*p == '\0') {
                t.type = T_ERROR;
                t.len = (size_t)(p - t.start);
                sql_error_set(err, t.line, t.col, q == '\'' ? "unterminated string" : "unterminated quoted identifier");
                lx->p = p;
                return t;
            }
            if (*p == '\n') {
                lx->line++;
                lx->line_start = p + 1;
            }
            if (*p == q) {
                if (p[1] == q) {
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            p++;
        }
        t.type = q == '\'' ? T_STRING : T_QIDENT;
    } else {
        p++;
        switch (c) {
        case '(': t.type = T_LPAREN; break;
        case ')': t.type = T_RPAREN; break;
        case ',': t.type = T_COMMA; break;
        case '.': t.type = T_DOT; break;
        case ';': t.type = T_SEMI; break;
        case '*': t.type = T_STAR; break;
        case '+': t.type = T_PLUS; break;
        case '-': t.type = T_MINUS; break;
        case '/': t.type = T_SLASH; break;
        case '%': t.type = T_PERCENT; break;
        case '=': t.type = T_EQ; if (*p == '=') p++; break;
        case '|':
            if (*p == '|') {
                p++;
                t.type = T_CONCAT;
                break;
            }
            /* fall through */
        default:
            if (c == '!' && *p == '=') {
                p++;
                t.type = T_NE;
                break;
            }
            if (c == '<') {
                t.type = *p == '=' ? (p++, T_LE) : *p == '>' ? (p++, T_NE) : T_LT;
                break;
            }
            if (c == '>') {
                t.type = *p == '=' ? (p++, T_GE) : T_GT;
                break;
            }
            t.type = T_ERROR;
            t.len = 1;
            if (c >= 0x20 && c < 0x7f)
                sql_error_set(err, t.line, t.col, "unexpected character '%c'", c);
            else
                sql_error_set(err, t.line, t.col, "unexpected byte 0x%02x", c);
            lx->p = p;
            return t;
        }
    }
    t.len = (size_t)(p - t.start);
    lx->p = p;
    return t;
}
