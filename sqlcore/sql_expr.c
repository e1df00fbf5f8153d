/* sql_expr.c - the public expression API (see sql.h): compile = lex + parse
 * + bind, then evaluate row after row. */
#include "sql_int.h"

#include <stdlib.h>
#include <string.h>

struct sql_expr {
    struct sql_arena arena; /* owns the tree and the column names */
    struct node *root;
    struct slots cols;
    struct sql_scratch scratch;
};

struct sql_expr *sql_expr_compile(const char *text, const struct sql_schema *schema, enum sql_type *type,
                                  struct sql_error *err)
{
    struct sql_expr *e = calloc(1, sizeof *e);
    if (!e) {
        sql_error_set(err, 1, 1, "out of memory");
        return NULL;
    }
    struct sql_lexer lx;
    sql_lex_init(&lx, text);
    e->root = sql_parse_expr(&lx, &e->arena, err);
    if (!e->root || sql_bind(e->root, schema, &e->cols, &e->arena, err) < 0) {
        sql_expr_free(e);
        return NULL;
    }
    if (type)
        *type = e->root->type;
    return e;
}

struct sql_expr *sql_where_compile(const char *text, const struct sql_schema *schema, struct sql_error *err)
{
    enum sql_type t;
    struct sql_expr *e = sql_expr_compile(text, schema, &t, err);
    if (e && t != SQL_BOOL && t != SQL_NULL) {
        sql_error_set(err, e->root->line, e->root->col, "type mismatch: a WHERE condition must be BOOLEAN, not %s",
                      sql_type_name(t));
        sql_expr_free(e);
        return NULL;
    }
    return e;
}

void sql_expr_free(struct sql_expr *e)
{
    if (!e)
        return;
    sql_scratch_free(&e->scratch);
    sql_arena_free(&e->arena);
    free(e);
}

int sql_expr_ncolumns(const struct sql_expr *e) { return e->cols.n; }
const char *sql_expr_column(const struct sql_expr *e, int i) { return e->cols.names[i]; }
const char *const *sql_expr_columns(const struct sql_expr *e) { return e->cols.names; }

int sql_expr_eval(struct sql_expr *e, const struct sql_value *row, struct sql_value *out, struct sql_error *err)
{
    sql_scratch_reset(&e->scratch);
    return sql_eval(e->root, row, &e->scratch, out, err);
}

int sql_where_match(struct sql_expr *e, const struct sql_value *row, struct sql_error *err)
{
    struct sql_value v;
    struct sql_error local;
    if (sql_expr_eval(e, row, &v, err ? err : &local) < 0)
        return 0;
    return sql_value_truthy(&v) == 1;
}
