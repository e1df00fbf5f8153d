/* test.h - a ten-line unit test harness. Each test binary ends with the line
 * "<binary>: N passed, N failed" and exits non-zero when anything failed.
 * A CHECK that fails reports file:line and the test goes on. */
#ifndef TEST_H
#define TEST_H
#include <stdio.h>
#include <string.h>

static int t_checks, t_failed;
static inline int t_check(int ok, const char *file, int line, const char *expr) { t_checks++; if (!ok) { t_failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", file, line, expr); } return ok; }
#define CHECK(cond) t_check((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_INT(a, b) do { long long a_ = (a), b_ = (b); t_checks++; if (a_ != b_) { t_failed++; fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); t_checks++; if (!a_ || !b_ || strcmp(a_, b_) != 0) { t_failed++; fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define TEST_MAIN(name, ...) int main(void) { void (*tests[])(void) = {__VA_ARGS__}; for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) tests[i](); printf("%s: %d passed, %d failed\n", name, t_checks - t_failed, t_failed); return t_failed != 0; }
#endif
