/* The C API as a plugin host sees it: plain C, linked against the inference library only. Loads the
 * committed fixtures (directory given as argv[1]), renders audio, and checks every error path named
 * in nn/namk.h returns its status and a message that says what went wrong.
 * Every failed check is printed; the exit code is 1 if any failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/namk.h"

#define N 4800 /* 0.1 s at 48 kHz: well past every fixture's receptive field */
#define PI 3.14159265358979323846 /* M_PI is POSIX, not C99 */

static int failures = 0;

#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                   \
    }                                                               \
  } while (0)

/* Status and message together: a status with a message that does not name the problem is a bug. */
#define CHECK_ERROR(call, status, needle)                                        \
  do {                                                                           \
    namk_status s_ = (call);                                                     \
    CHECK(s_ == (status));                                                       \
    if (!strstr(namk_last_error(), (needle))) {                                  \
      fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
              namk_last_error(), (needle));                                      \
      ++failures;                                                                \
    }                                                                            \
  } while (0)

static const char* fixtures;

static void fixture_path(char* path, size_t size, const char* name) {
  snprintf(path, size, "%s/%s", fixtures, name);
}

static namk_model* load(const char* name) {
  char path[1024];
  namk_model* m = NULL;
  fixture_path(path, sizeof path, name);
  if (namk_load_file(path, &m) != NAMK_OK) {
    fprintf(stderr, "cannot load %s: %s\n", path, namk_last_error());
    exit(1);
  }
  return m;
}

/* A guitar-like test signal: two partials and a decay, amplitude below 1. */
static void make_input(float* x) {
  for (int t = 0; t < N; ++t)
    x[t] = (float)(0.5 * exp(-t / 2000.0) * (sin(2 * PI * 110 * t / 48000.0) +
                                             0.3 * sin(2 * PI * 330 * t / 48000.0)));
}

/* Renders x in blocks of `block` (the last one shorter) after a reset. */
static void render(namk_model* m, const float* x, float* y, int block) {
  CHECK(namk_reset(m) == NAMK_OK);
  for (int t = 0; t < N; t += block) CHECK(namk_process(m, x + t, y + t, t + block <= N ? block : N - t) == NAMK_OK);
}

static double max_abs_diff(const float* a, const float* b) {
  double d = 0;
  for (int t = 0; t < N; ++t) d = fmax(d, fabs((double)a[t] - b[t]));
  return d;
}

static double peak(const float* y) {
  double p = 0;
  for (int t = 0; t < N; ++t) p = isfinite(y[t]) ? fmax(p, fabs(y[t])) : INFINITY;
  return p;
}

/* Streaming invariants for any model: output finite and not silent; block size, in-place
 * processing and reset change nothing. Within float rounding: blocks change GEMM shapes. */
static void check_streaming(namk_model* m, const char* name) {
  static float x[N], whole[N], y[N];
  make_input(x);
  CHECK(namk_prepare(m, namk_sample_rate(m), 4096) == NAMK_OK);
  render(m, x, whole, N);
  const double p = peak(whole);
  printf("%s: peak output %.4f\n", name, p);
  CHECK(p > 1e-3 && p < 10);
  const int blocks[] = {1, 7, 64, 4096};
  for (int i = 0; i < 4; ++i) {
    render(m, x, y, blocks[i]);
    CHECK(max_abs_diff(whole, y) <= 1e-5 * p);
  }
  memcpy(y, x, sizeof y);
  render(m, y, y, 64);
  CHECK(max_abs_diff(whole, y) <= 1e-5 * p);
}

static void test_plain_models(void) {
  const char* names[] = {"nam/wavenet.nam", "nam/lstm.nam"};
  for (int i = 0; i < 2; ++i) {
    namk_model* m = load(names[i]);
    CHECK(namk_sample_rate(m) == 48000);
    CHECK(namk_knob_count(m) == 0);
    check_streaming(m, names[i]);
    CHECK_ERROR(namk_set_knob(m, "gain", 1), NAMK_ERROR_UNKNOWN_KNOB, "none");
    namk_free(m);
  }
}

/* The same bytes from memory load the same model. */
static void test_load_memory(void) {
  char path[1024];
  fixture_path(path, sizeof path, "nam/wavenet.nam");
  FILE* f = fopen(path, "rb");
  CHECK(f != NULL);
  if (!f) return;
  static char text[1 << 16];
  const size_t size = fread(text, 1, sizeof text, f);
  fclose(f);
  CHECK(size > 0 && size < sizeof text);

  namk_model* from_memory = NULL;
  CHECK(namk_load_memory(text, size, &from_memory) == NAMK_OK);
  if (!from_memory) return;
  namk_model* from_file = load("nam/wavenet.nam");
  static float x[N], a[N], b[N];
  make_input(x);
  CHECK(namk_prepare(from_memory, 48000, 256) == NAMK_OK);
  CHECK(namk_prepare(from_file, 48000, 256) == NAMK_OK);
  render(from_memory, x, a, 256);
  render(from_file, x, b, 256);
  CHECK(max_abs_diff(a, b) == 0);
  namk_free(from_memory);
  namk_free(from_file);
}

static void test_knobs(void) {
  namk_model* m = load("c_api/knob_wavenet.nam");
  CHECK(namk_knob_count(m) == 2);
  namk_knob_info k;
  CHECK(namk_get_knob_info(m, 0, &k) == NAMK_OK);
  CHECK(strcmp(k.name, "gain") == 0 && strcmp(k.units, "clock position") == 0);
  CHECK(k.min == 0 && k.max == 10 && k.default_value == 5);
  CHECK(namk_get_knob_info(m, 1, &k) == NAMK_OK);
  CHECK(strcmp(k.name, "bass") == 0 && strcmp(k.units, "dB") == 0);
  CHECK(k.min == -12 && k.max == 12 && k.default_value == 0);
  double v = -1;
  CHECK(namk_get_knob(m, 0, &v) == NAMK_OK && v == 5);

  check_streaming(m, "c_api/knob_wavenet.nam (default knobs)");
  static float x[N], base[N], y[N];
  make_input(x);
  render(m, x, base, 64);

  /* By name and by index, clamped to the range; each setting changes the sound. */
  CHECK(namk_set_knob(m, "gain", 9) == NAMK_OK);
  CHECK(namk_get_knob(m, 0, &v) == NAMK_OK && v == 9);
  render(m, x, y, 64);
  CHECK(max_abs_diff(base, y) > 1e-3 * peak(base));
  CHECK(namk_set_knob(m, "gain", 5) == NAMK_OK);
  CHECK(namk_set_knob_index(m, 1, 100) == NAMK_OK);
  CHECK(namk_get_knob(m, 1, &v) == NAMK_OK && v == 12);
  render(m, x, y, 64);
  CHECK(max_abs_diff(base, y) > 1e-3 * peak(base));
  /* Back to the defaults: back to the same sound. */
  CHECK(namk_set_knob_index(m, 1, 0) == NAMK_OK);
  render(m, x, y, 64);
  CHECK(max_abs_diff(base, y) == 0);

  CHECK_ERROR(namk_set_knob(m, "treble", 3), NAMK_ERROR_UNKNOWN_KNOB, "treble");
  CHECK(strstr(namk_last_error(), "gain") != NULL); /* the message lists the knobs there are */
  CHECK_ERROR(namk_set_knob_index(m, 2, 3), NAMK_ERROR_ARGUMENT, "out of range");
  CHECK_ERROR(namk_set_knob_index(m, -1, 3), NAMK_ERROR_ARGUMENT, "out of range");
  CHECK_ERROR(namk_get_knob_info(m, 2, &k), NAMK_ERROR_ARGUMENT, "out of range");
  CHECK_ERROR(namk_set_knob(m, "gain", NAN), NAMK_ERROR_ARGUMENT, "NaN");
  namk_free(m);
}

static void test_errors(void) {
  static char not_a_model;
  namk_model* m = (namk_model*)&not_a_model; /* not NULL, so the test sees a failed load reset it */
  char path[1024];
  fixture_path(path, sizeof path, "nam/no_such_model.nam");
  CHECK_ERROR(namk_load_file(path, &m), NAMK_ERROR_IO, "no_such_model.nam");
  CHECK(m == NULL);

  const char broken[] = "{\"version\": \"0.5.4\", \"architecture\": ";
  CHECK_ERROR(namk_load_memory(broken, sizeof broken - 1, &m), NAMK_ERROR_MODEL, "<memory>");
  CHECK(m == NULL);
  const char future[] = "{\"version\": \"0.8.0\", \"architecture\": \"WaveNet\", \"config\": {}, \"weights\": []}";
  CHECK_ERROR(namk_load_memory(future, sizeof future - 1, &m), NAMK_ERROR_MODEL, "0.8.0");
  CHECK_ERROR(namk_load_file(NULL, &m), NAMK_ERROR_ARGUMENT, "NULL");
  CHECK_ERROR(namk_load_memory(broken, 3, NULL), NAMK_ERROR_ARGUMENT, "NULL");

  m = load("nam/wavenet.nam");
  float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, y[8];
  y[0] = 1;
  CHECK_ERROR(namk_process(m, x, y, 8), NAMK_ERROR_NOT_PREPARED, "prepare");
  CHECK(y[0] == 0 && y[7] == 0);
  if (!namk_can_resample()) {
    CHECK_ERROR(namk_prepare(m, 44100, 64), NAMK_ERROR_SAMPLE_RATE, "44100");
    CHECK(strstr(namk_last_error(), "48000") != NULL);
  }
  CHECK_ERROR(namk_prepare(m, 0, 64), NAMK_ERROR_SAMPLE_RATE, "positive");
  CHECK_ERROR(namk_prepare(m, 48000, 0), NAMK_ERROR_ARGUMENT, "max_block");
  CHECK(namk_prepare(m, 48000, 4) == NAMK_OK);
  /* A refused prepare leaves the last good one in place. */
  CHECK_ERROR(namk_prepare(m, -96000, 64), NAMK_ERROR_SAMPLE_RATE, "-96000");
  CHECK(namk_process(m, x, y, 8) == NAMK_OK);
  CHECK(namk_process(m, x, y, 0) == NAMK_OK);
  CHECK(namk_process(m, NULL, NULL, 0) == NAMK_OK);
  CHECK_ERROR(namk_process(m, x, y, -1), NAMK_ERROR_ARGUMENT, "negative");
  CHECK_ERROR(namk_process(m, NULL, y, 8), NAMK_ERROR_ARGUMENT, "NULL");
  CHECK_ERROR(namk_process(NULL, x, y, 8), NAMK_ERROR_ARGUMENT, "NULL");
  CHECK_ERROR(namk_reset(NULL), NAMK_ERROR_ARGUMENT, "NULL");
  CHECK(namk_knob_count(NULL) == 0 && namk_sample_rate(NULL) == 0);
  namk_free(m);
  namk_free(NULL);
}

/* Version, levels, smoothing, and resampling behind namk_prepare at a host rate other than the
 * model's: the output is as long as the input, audible, finite, and delayed by namk_latency(). */
static void test_host_queries(void) {
  int major = -1, minor = -1, patch = -1;
  CHECK(sscanf(namk_version(), "%d.%d.%d", &major, &minor, &patch) == 3);
  CHECK(namk_version_number() == major * 10000 + minor * 100 + patch);

  namk_model* m = load("nam/wavenet.nam");
  namk_levels levels;
  CHECK(namk_get_levels(m, &levels) == NAMK_OK);
  CHECK(levels.has_loudness && fabs(levels.loudness_db - -20.020729064941406) < 1e-9);
  CHECK(levels.has_input_level && levels.input_level_dbu == 18.3);
  CHECK(levels.has_output_level && levels.output_level_dbu == 12.3);
  CHECK_ERROR(namk_get_levels(m, NULL), NAMK_ERROR_ARGUMENT, "NULL");
  CHECK(namk_latency(m) == 0); /* before prepare */
  CHECK(namk_prepare(m, 48000, 64) == NAMK_OK);
  CHECK(namk_latency(m) == 0); /* the model's own rate */

  namk_model* k = load("c_api/knob_wavenet.nam");
  CHECK(namk_get_levels(k, &levels) == NAMK_OK);
  CHECK(!levels.has_loudness && !levels.has_input_level && !levels.has_output_level);
  CHECK(namk_smoothing_ms(k) == 0);
  namk_free(k);

  if (namk_can_resample()) {
    static float x[N], y[N];
    for (int t = 0; t < N; ++t) x[t] = (float)(0.5 * sin(2 * PI * 220 * t / 44100.0));
    CHECK(namk_prepare(m, 44100, 100) == NAMK_OK);
    const int latency = namk_latency(m);
    CHECK(latency > 0 && latency < 1000);
    CHECK(namk_process(m, x, y, N) == NAMK_OK); /* N > max_block: split inside */
    float peak_early = 0, peak = 0;
    for (int t = 0; t < N; ++t) {
      CHECK(isfinite(y[t]));
      if (t < latency) peak_early = fmaxf(peak_early, fabsf(y[t]));
      else peak = fmaxf(peak, fabsf(y[t]));
    }
    /* Before the latency only the model's response to silence comes out; then the sine does. */
    CHECK(peak > 0.01f && peak > 10 * peak_early);
    /* Back at the model's rate the converters are gone. */
    CHECK(namk_prepare(m, 48000, 64) == NAMK_OK);
    CHECK(namk_latency(m) == 0);
  }
  namk_free(m);
}

static int same(const float* a, const float* b) { return memcmp(a, b, N * sizeof(float)) == 0; }

/* Slimmable models: the sizes as the files declare them (a container's max_values; a slimmable
 * WaveNet of widths 1, 2, 3 changes at 1/3 and 2/3), each size audibly its own model, a size set
 * on a prepared handle rendering as one set before prepare, and back at 1 the model as loaded. */
static void test_slim(void) {
  static const struct {
    const char* file;
    int sizes;
    double max_values[3];
  } cases[] = {{"nam_models/slimmable_container.nam", 3, {0.33, 0.66, 1.0}},
               {"nam_models/slimmable_wavenet.nam", 3, {1.0 / 3, 2.0 / 3, 1.0}},
               {"nam_models/A2.nam", 2, {0.5, 1.0}}};
  static float x[N], full[N], small[N], y[N];
  make_input(x);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    namk_model* m = load(cases[c].file);
    CHECK(namk_slim_size_count(m) == cases[c].sizes);
    for (int i = 0; i < cases[c].sizes; ++i) {
      double max_value = 0;
      CHECK(namk_get_slim_size(m, i, &max_value) == NAMK_OK);
      CHECK(fabs(max_value - cases[c].max_values[i]) < 1e-12);
    }
    double slim = 0;
    int index = -1;
    CHECK(namk_get_slim(m, &slim, &index) == NAMK_OK);
    CHECK(slim == 1 && index == cases[c].sizes - 1);
    CHECK(namk_prepare(m, 48000, 64) == NAMK_OK);
    render(m, x, full, 64);

    /* Set on the prepared handle: it renders at once, as a handle set before prepare does. */
    CHECK(namk_set_slim(m, 0.1) == NAMK_OK);
    CHECK(namk_get_slim(m, &slim, &index) == NAMK_OK);
    CHECK(slim == 0.1 && index == 0);
    render(m, x, small, 64);
    CHECK(!same(small, full));
    namk_model* fresh = load(cases[c].file);
    CHECK(namk_set_slim(fresh, 0.1) == NAMK_OK);
    CHECK(namk_prepare(fresh, 48000, 64) == NAMK_OK);
    render(fresh, x, y, 64);
    CHECK(same(y, small));
    /* Another value in the same size: the same model. Below 0 is clamped to 0. */
    CHECK(namk_set_slim(fresh, -3) == NAMK_OK);
    CHECK(namk_get_slim(fresh, &slim, &index) == NAMK_OK);
    CHECK(slim == 0 && index == 0);
    render(fresh, x, y, 64);
    CHECK(same(y, small));
    namk_free(fresh);

    /* Every size differs from its neighbour; back at 1 (or above) the loaded model. */
    for (int i = 1; i < cases[c].sizes; ++i) {
      double from = 0;
      CHECK(namk_get_slim_size(m, i - 1, &from) == NAMK_OK);
      CHECK(namk_set_slim(m, from) == NAMK_OK);
      CHECK(namk_get_slim(m, &slim, &index) == NAMK_OK);
      CHECK(index == i);
      render(m, x, y, 64);
      CHECK(!same(y, small));
      memcpy(small, y, sizeof y);
    }
    CHECK(namk_set_slim(m, 7) == NAMK_OK);
    render(m, x, y, 64);
    CHECK(same(y, full));
    CHECK_ERROR(namk_set_slim(m, NAN), NAMK_ERROR_ARGUMENT, "NaN");
    CHECK_ERROR(namk_get_slim_size(m, cases[c].sizes, &slim), NAMK_ERROR_ARGUMENT, "out of range");
    CHECK_ERROR(namk_get_slim(m, NULL, &index), NAMK_ERROR_ARGUMENT, "NULL");
    namk_free(m);
  }
  namk_model* plain = load("nam/wavenet.nam");
  CHECK(namk_slim_size_count(plain) == 0);
  CHECK(namk_slim_size_count(NULL) == 0);
  CHECK_ERROR(namk_set_slim(plain, 0.5), NAMK_ERROR_ARGUMENT, "not slimmable");
  namk_free(plain);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
    return 2;
  }
  fixtures = argv[1];
  CHECK(strcmp(namk_last_error(), "") == 0);
  test_plain_models();
  test_load_memory();
  test_knobs();
  test_errors();
  test_host_queries();
  test_slim();
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("all C API checks passed\n");
  return failures ? 1 : 0;
}
