/* The factory's test harness for C and C++: TEST(name) { CHECK(expr); ... } blocks and plain
 * assert()s, each test reported on fd 3 behind the run's secret (read once from fd 4 before any
 * other constructor runs). Compiled into the same program as the candidate: see the README on
 * what a deliberately adversarial native program could still do. */
#ifndef FACTORY_TEST_H
#define FACTORY_TEST_H
#include <assert.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void (*factory_test_fn)(void);
static struct { const char *name; factory_test_fn fn; } factory_tests[1024];
static int factory_test_count;
static char factory_secret[64];
static jmp_buf factory_jump;
static char factory_message[1024];
static int factory_in_test;

__attribute__((constructor(101))) static void factory_read_secret(void) {
  ssize_t n = read(4, factory_secret, sizeof factory_secret - 1);
  close(4);
  if (n < 0) n = 0;
  factory_secret[n] = 0;
  char *newline = strchr(factory_secret, '\n');
  if (newline) *newline = 0;
}

static void factory_register(const char *name, factory_test_fn fn) {
  if (factory_test_count < 1024) {
    factory_tests[factory_test_count].name = name;
    factory_tests[factory_test_count].fn = fn;
    factory_test_count++;
  }
}

static void factory_json_string(FILE *out, const char *text) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

static void factory_report(const char *name, const char *outcome, const char *message,
                           double seconds) {
  char line[4096];
  FILE *out = fmemopen(line, sizeof line, "w");
  fprintf(out, "%s {\"t\": ", factory_secret);
  factory_json_string(out, name);
  fprintf(out, ", \"o\": \"%s\", \"m\": ", outcome);
  factory_json_string(out, message);
  fprintf(out, ", \"d\": %.6f}\n", seconds);
  fclose(out);
  line[sizeof line - 2] = '\n';
  line[sizeof line - 1] = 0;
  (void)!write(3, line, strlen(line));
}

__attribute__((noreturn)) static void factory_fail(const char *expr, const char *file, int line) {
  snprintf(factory_message, sizeof factory_message, "%s:%d: check failed: %s", file, line, expr);
  if (factory_in_test) longjmp(factory_jump, 1);
  factory_report("program", "failed", factory_message, 0.0);
  _exit(1);
}

/* Every standard assert() lands here too (this definition takes precedence over libc's), even in
 * test code that re-includes <assert.h>. */
#ifdef __cplusplus
#define FACTORY_NOTHROW __THROW
extern "C"
#else
#define FACTORY_NOTHROW
#endif
    __attribute__((noreturn)) void
    __assert_fail(const char *assertion, const char *file, unsigned int line,
                  const char *function) FACTORY_NOTHROW {
  (void)function;
  factory_fail(assertion, file, (int)line);
  abort();
}

#define FACTORY_CHECK(expr) ((expr) ? (void)0 : factory_fail(#expr, __FILE__, __LINE__))
#define CHECK(expr) FACTORY_CHECK(expr)
#define TEST(name)                                                                       \
  static void factory_test_##name(void);                                                 \
  __attribute__((constructor)) static void factory_register_##name(void) {               \
    factory_register(#name, factory_test_##name);                                        \
  }                                                                                      \
  static void factory_test_##name(void)

static double factory_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void factory_end(int count) {
  char line[128];
  snprintf(line, sizeof line, "%s {\"end\": %d}\n", factory_secret, count);
  (void)!write(3, line, strlen(line));
}

/* Native style: run every registered TEST in order; a failed CHECK ends only its own test. */
static int factory_run_tests(void) {
  for (int i = 0; i < factory_test_count; i++) {
    double start = factory_now();
    factory_message[0] = 0;
    factory_in_test = 1;
    if (setjmp(factory_jump) == 0) {
      factory_tests[i].fn();
      factory_in_test = 0;
      factory_report(factory_tests[i].name, "passed", "", factory_now() - start);
    } else {
      factory_in_test = 0;
      factory_report(factory_tests[i].name, "failed", factory_message, factory_now() - start);
    }
  }
  fflush(stdout);
  factory_end(factory_test_count);
  return 0;
}
#endif
