/* The LV2 plugin that `nam-knobs export --lv2` copies into every bundle: one library for every
 * model, built on the C API alone (nn/namk.h). It loads the bundle's model.nam in instantiate and
 * reads its URI from the bundle's plugin-uri.txt, so one binary serves any number of bundles.
 * Ports (their order is a contract with the .ttl the export writes, apps/lv2_bundle.cpp):
 *   0 in, 1 out (audio), 2 input_gain_db, 3 output_gain_db, [4 latency, when this build resamples],
 *   then one control per knob in the model's order, then `slim` (0..1) when the model is slimmable.
 * run() allocates nothing, locks nothing and makes no system call: every buffer is sized in
 * instantiate for the host's largest block (options feature) or an internal one, and longer
 * blocks are split. A new size for `slim` is a new model: the host's worker thread (LV2 worker
 * extension) loads and prepares it, run() swaps it in between blocks, and the worker frees the
 * old one. Without a worker from the host the model stays at its full size. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NAMK_LV2_MXCSR 1
#endif

#include "nn/namk.h"

enum { PORT_IN = 0, PORT_OUT = 1, PORT_INPUT_GAIN = 2, PORT_OUTPUT_GAIN = 3, PORT_LATENCY = 4 };

/* Used when the host does not say how long its blocks get; longer blocks are split. */
#define NAMK_LV2_DEFAULT_BLOCK 4096
/* Gains ramp over the model's smoothing time, or this long when the model's is 0. */
#define NAMK_LV2_GAIN_RAMP_MS 20.0

/* A gain in dB that ramps linearly (in amplitude) to each new port value. */
typedef struct {
  float db;      /* the port value it last ramped to */
  float now;     /* current amplitude */
  float target;  /* amplitude it ramps to */
  float step;
  int left;
} Gain;

/* A message between run() and the worker: a size to build (the model comes back in the response,
 * NULL if building failed) or a model to free. */
typedef struct {
  enum { WORK_SLIM, WORK_FREE } kind;
  float slim;
  namk_model* model;
} Work;

typedef struct {
  namk_model* model;
  char model_path[4096];
  double rate;
  int knob_count;
  int first_knob_port;
  const float* in;
  float* out;
  const float* input_gain_port;
  const float* output_gain_port;
  float* latency_port;
  const float** knob_ports;
  float* knob_applied; /* last value given to the model (after clamping) */
  namk_knob_info* knobs;
  float* buffer; /* one block, through which input gain, the model and output gain run */
  int max_block;
  int gain_ramp;
  int fresh; /* set by activate: the first run() starts from the ports' values without ramps */
  Gain input_gain, output_gain;
  /* Slimmable models: the port (after the knobs; -1 when the model is not slimmable), the value
   * whose size is in use or being built, and the model a swap replaced, still to be freed. */
  int slim_port_index;
  const float* slim_port;
  float slim_asked;
  int slim_busy; /* a size is being built */
  namk_model* retired;
  const LV2_Worker_Schedule* schedule;
} Plugin;

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Gain ports share one range: -40..+40 dB (the .ttl says the same). */
static float gain_db(const float* port) {
  const float v = port ? *port : 0.0f;
  return isnan(v) ? 0.0f : clampf(v, -40.0f, 40.0f);
}

static void gain_jump(Gain* g, float db) {
  g->db = db;
  g->now = g->target = powf(10.0f, db / 20.0f);
  g->left = 0;
}

static void gain_follow(Gain* g, float db, int ramp) {
  if (db == g->db) return;
  g->db = db;
  g->target = powf(10.0f, db / 20.0f);
  g->left = ramp;
  g->step = (g->target - g->now) / (float)ramp;
}

static inline float gain_next(Gain* g) {
  if (g->left > 0) {
    g->now += g->step;
    if (--g->left == 0) g->now = g->target;
  }
  return g->now;
}

static void plugin_free(Plugin* p) {
  if (!p) return;
  namk_free(p->model);
  namk_free(p->retired);
  free(p->knob_ports);
  free(p->knob_applied);
  free(p->knobs);
  free(p->buffer);
  free(p);
}

/* The host's largest block from the options feature (buf-size:maxBlockLength), or 0. */
static int host_max_block(const LV2_Feature* const* features) {
  const LV2_URID_Map* map = NULL;
  const LV2_Options_Option* options = NULL;
  for (int i = 0; features && features[i]; ++i) {
    if (!strcmp(features[i]->URI, LV2_URID__map)) map = (const LV2_URID_Map*)features[i]->data;
    if (!strcmp(features[i]->URI, LV2_OPTIONS__options)) options = (const LV2_Options_Option*)features[i]->data;
  }
  if (!map || !options) return 0;
  const LV2_URID max_length = map->map(map->handle, LV2_BUF_SIZE__maxBlockLength);
  const LV2_URID atom_int = map->map(map->handle, LV2_ATOM__Int);
  for (const LV2_Options_Option* o = options; o->key || o->value; ++o)
    if (o->key == max_length && o->type == atom_int && o->size == sizeof(int32_t))
      return *(const int32_t*)o->value;
  return 0;
}

static const LV2_Worker_Schedule* host_worker(const LV2_Feature* const* features) {
  for (int i = 0; features && features[i]; ++i)
    if (!strcmp(features[i]->URI, LV2_WORKER__schedule)) return (const LV2_Worker_Schedule*)features[i]->data;
  return NULL;
}

static LV2_Handle instantiate(const LV2_Descriptor* descriptor, double rate, const char* bundle_path,
                              const LV2_Feature* const* features) {
  (void)descriptor;
  Plugin* p = (Plugin*)calloc(1, sizeof(Plugin));
  if (!p) return NULL;
  if (snprintf(p->model_path, sizeof p->model_path, "%s/model.nam", bundle_path) >= (int)sizeof p->model_path ||
      namk_load_file(p->model_path, &p->model) != NAMK_OK) {
    fprintf(stderr, "nam-knobs LV2: %s\n", namk_last_error());
    plugin_free(p);
    return NULL;
  }
  const int host_block = host_max_block(features);
  p->max_block = host_block > 0 && host_block <= (1 << 16) ? host_block : NAMK_LV2_DEFAULT_BLOCK;
  p->knob_count = namk_knob_count(p->model);
  p->first_knob_port = namk_can_resample() ? PORT_LATENCY + 1 : PORT_LATENCY;
  p->slim_port_index = namk_slim_size_count(p->model) > 0 ? p->first_knob_port + p->knob_count : -1;
  p->slim_asked = 1.0f;
  p->schedule = host_worker(features);
  p->rate = rate;
  const size_t nk = (size_t)p->knob_count + 1; /* +1: calloc(0) may return NULL */
  p->knob_ports = (const float**)calloc(nk, sizeof(float*));
  p->knob_applied = (float*)calloc(nk, sizeof(float));
  p->knobs = (namk_knob_info*)calloc(nk, sizeof(namk_knob_info));
  p->buffer = (float*)calloc((size_t)p->max_block, sizeof(float));
  if (!p->knob_ports || !p->knob_applied || !p->knobs || !p->buffer) {
    plugin_free(p);
    return NULL;
  }
  for (int k = 0; k < p->knob_count; ++k) {
    namk_get_knob_info(p->model, k, &p->knobs[k]);
    p->knob_applied[k] = (float)p->knobs[k].default_value;
  }
  if (namk_prepare(p->model, rate, p->max_block) != NAMK_OK) {
    fprintf(stderr, "nam-knobs LV2: %s\n", namk_last_error());
    plugin_free(p);
    return NULL;
  }
  const double ms = namk_smoothing_ms(p->model) > 0 ? namk_smoothing_ms(p->model) : NAMK_LV2_GAIN_RAMP_MS;
  p->gain_ramp = (int)lround(ms * rate / 1000.0);
  if (p->gain_ramp < 1) p->gain_ramp = 1;
  gain_jump(&p->input_gain, 0.0f);
  gain_jump(&p->output_gain, 0.0f);
  p->fresh = 1;
  return (LV2_Handle)p;
}

static void connect_port(LV2_Handle instance, uint32_t port, void* data) {
  Plugin* p = (Plugin*)instance;
  switch (port) {
    case PORT_IN: p->in = (const float*)data; return;
    case PORT_OUT: p->out = (float*)data; return;
    case PORT_INPUT_GAIN: p->input_gain_port = (const float*)data; return;
    case PORT_OUTPUT_GAIN: p->output_gain_port = (const float*)data; return;
    default: break;
  }
  if ((int)port == PORT_LATENCY && p->first_knob_port > PORT_LATENCY) {
    p->latency_port = (float*)data;
    return;
  }
  if ((int)port == p->slim_port_index) {
    p->slim_port = (const float*)data;
    return;
  }
  const int k = (int)port - p->first_knob_port;
  if (k >= 0 && k < p->knob_count) p->knob_ports[k] = (const float*)data;
}

/* Resetting here, outside the audio thread, leaves the converters clean (re-creating them allocates
 * when resampling), so the namk_reset() of the first run() touches only the model. */
static void activate(LV2_Handle instance) {
  Plugin* p = (Plugin*)instance;
  namk_reset(p->model);
  p->fresh = 1;
}

/* Gives the model every knob whose port moved; a value outside the range is clamped, NaN ignored. */
static void follow_knobs(Plugin* p) {
  for (int k = 0; k < p->knob_count; ++k) {
    if (!p->knob_ports[k]) continue;
    const float v = *p->knob_ports[k];
    if (isnan(v)) continue;
    const float clamped = clampf(v, (float)p->knobs[k].min, (float)p->knobs[k].max);
    if (clamped == p->knob_applied[k]) continue;
    p->knob_applied[k] = clamped;
    namk_set_knob_index(p->model, k, clamped);
  }
}

/* The size index slim picks on the current model (all sizes share the list), from reads only. */
static int slim_size(const Plugin* p, float slim) {
  const int n = namk_slim_size_count(p->model);
  for (int i = 0; i < n; ++i) {
    double max_value = 1;
    namk_get_slim_size(p->model, i, &max_value);
    if (slim < max_value) return i;
  }
  return n - 1;
}

/* Asks the worker for the size the port picks when it differs from the one in use, one at a time;
 * hands it the model the last swap replaced. */
static void follow_slim(Plugin* p) {
  if (!p->schedule) return;
  if (p->retired) {
    const Work w = {WORK_FREE, 0.0f, p->retired};
    if (p->schedule->schedule_work(p->schedule->handle, sizeof w, &w) == LV2_WORKER_SUCCESS) p->retired = NULL;
  }
  if (!p->slim_port || p->slim_busy || isnan(*p->slim_port)) return;
  const float v = clampf(*p->slim_port, 0.0f, 1.0f);
  if (v == p->slim_asked) return;
  double in_use = 1;
  int index = 0;
  namk_get_slim(p->model, &in_use, &index);
  if (slim_size(p, v) == index) {
    p->slim_asked = v;
    return;
  }
  const Work w = {WORK_SLIM, v, NULL};
  if (p->schedule->schedule_work(p->schedule->handle, sizeof w, &w) == LV2_WORKER_SUCCESS) {
    p->slim_asked = v;
    p->slim_busy = 1;
  }
}

/* Worker thread: builds a size (load, pick the size, prepare and pre-warm as instantiate did), or
 * frees a model. model_path, rate and max_block do not change after instantiate. */
static LV2_Worker_Status work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle handle, uint32_t size, const void* data) {
  const Plugin* p = (const Plugin*)instance;
  if (size != sizeof(Work)) return LV2_WORKER_ERR_UNKNOWN;
  Work w;
  memcpy(&w, data, sizeof w);
  if (w.kind == WORK_FREE) {
    namk_free(w.model);
    return LV2_WORKER_SUCCESS;
  }
  w.model = NULL;
  if (namk_load_file(p->model_path, &w.model) != NAMK_OK || namk_set_slim(w.model, w.slim) != NAMK_OK ||
      namk_prepare(w.model, p->rate, p->max_block) != NAMK_OK) {
    fprintf(stderr, "nam-knobs LV2: slim %g: %s\n", w.slim, namk_last_error());
    namk_free(w.model);
    w.model = NULL;
  }
  return respond(handle, sizeof w, &w);
}

/* Audio thread, between run() calls: the new size replaces the model (a failed one leaves it). */
static LV2_Worker_Status work_response(LV2_Handle instance, uint32_t size, const void* data) {
  Plugin* p = (Plugin*)instance;
  if (size != sizeof(Work)) return LV2_WORKER_ERR_UNKNOWN;
  Work w;
  memcpy(&w, data, sizeof w);
  p->slim_busy = 0;
  if (w.model) {
    p->retired = p->model;
    p->model = w.model;
  }
  return LV2_WORKER_SUCCESS;
}

static void run(LV2_Handle instance, uint32_t n_samples) {
  Plugin* p = (Plugin*)instance;
#ifdef NAMK_LV2_MXCSR
  /* Flush denormals in the gain loops too (the model does so for itself); the host's mode is restored. */
  const unsigned int saved_csr = _mm_getcsr();
  _mm_setcsr(saved_csr | 0x8040u);
#endif
  follow_knobs(p);
  follow_slim(p);
  if (p->fresh) {
    /* Start where the ports are: knobs jump (no ramp) and the history is pre-warmed at them, as
     * `nam-knobs render` starts at its time-0 knob values. */
    namk_reset(p->model);
    gain_jump(&p->input_gain, gain_db(p->input_gain_port));
    gain_jump(&p->output_gain, gain_db(p->output_gain_port));
    p->fresh = 0;
  }
  gain_follow(&p->input_gain, gain_db(p->input_gain_port), p->gain_ramp);
  gain_follow(&p->output_gain, gain_db(p->output_gain_port), p->gain_ramp);
  if (p->latency_port) *p->latency_port = (float)namk_latency(p->model);

  const float* in = p->in;
  float* out = p->out;
  for (uint32_t done = 0; in && out && done < n_samples;) {
    const int n = (int)(n_samples - done < (uint32_t)p->max_block ? n_samples - done : (uint32_t)p->max_block);
    float* b = p->buffer;
    for (int i = 0; i < n; ++i) {
      const float x = in[done + (uint32_t)i];
      b[i] = (isfinite(x) ? x : 0.0f) * gain_next(&p->input_gain);
    }
    namk_process(p->model, b, b, n);
    for (int i = 0; i < n; ++i) {
      const float y = b[i] * gain_next(&p->output_gain);
      out[done + (uint32_t)i] = isfinite(y) ? y : 0.0f;
    }
    done += (uint32_t)n;
  }
#ifdef NAMK_LV2_MXCSR
  _mm_setcsr(saved_csr);
#endif
}

static void deactivate(LV2_Handle instance) { (void)instance; }

static void cleanup(LV2_Handle instance) { plugin_free((Plugin*)instance); }

static const void* extension_data(const char* uri) {
  static const LV2_Worker_Interface worker = {work, work_response, NULL};
  return strcmp(uri, LV2_WORKER__interface) ? NULL : &worker;
}

/* The bundle's plugin-uri.txt, found through this library's own path: hosts that call
 * lv2_descriptor() give no bundle path. Read once. */
static char plugin_uri[1024];

static int read_plugin_uri(void) {
  Dl_info info;
  if (!dladdr((void*)&read_plugin_uri, &info) || !info.dli_fname) return 0;
  char path[4096];
  const char* slash = strrchr(info.dli_fname, '/');
  const int dir_len = slash ? (int)(slash - info.dli_fname) : 1;
  const char* dir = slash ? info.dli_fname : ".";
  if (snprintf(path, sizeof path, "%.*s/plugin-uri.txt", dir_len, dir) >= (int)sizeof path) return 0;
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  const int ok = fgets(plugin_uri, sizeof plugin_uri, f) != NULL;
  fclose(f);
  plugin_uri[strcspn(plugin_uri, "\r\n")] = '\0';
  return ok && plugin_uri[0];
}

LV2_SYMBOL_EXPORT const LV2_Descriptor* lv2_descriptor(uint32_t index) {
  static LV2_Descriptor descriptor = {NULL, instantiate, connect_port, activate, run, deactivate, cleanup,
                                      extension_data};
  if (index != 0) return NULL;
  if (!descriptor.URI) {
    if (!read_plugin_uri()) return NULL;
    descriptor.URI = plugin_uri;
  }
  return &descriptor;
}
