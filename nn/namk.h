/* The C API of the nam-knobs runtime, for plugin hosts and other languages: load a model, read and
 * set its knobs, stream audio through it. Pure C; nothing throws across it: every call that can fail
 * returns a namk_status and leaves a message for namk_last_error(). Inference only, no training.
 * A handle is used by one thread at a time; separate handles are independent. */
#ifndef NAMK_H
#define NAMK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct namk_model namk_model;

typedef enum namk_status {
  NAMK_OK = 0,
  NAMK_ERROR_ARGUMENT = -1,     /* a null pointer, an index out of range, a negative count */
  NAMK_ERROR_IO = -2,           /* the model file cannot be read */
  NAMK_ERROR_MODEL = -3,        /* malformed model data, or a version/architecture not supported */
  NAMK_ERROR_UNKNOWN_KNOB = -4, /* no knob of that name */
  NAMK_ERROR_SAMPLE_RATE = -5,  /* prepare() at a rate other than the model's */
  NAMK_ERROR_NOT_PREPARED = -6, /* process() before a successful prepare() */
  NAMK_ERROR_MEMORY = -7,       /* out of memory */
  NAMK_ERROR_INTERNAL = -8      /* anything else; the message says what */
} namk_status;

/* A knob as the model declares it. Values are in the knob's own units; the strings live as long as
 * the handle. units is "" when the model gives none. */
typedef struct namk_knob_info {
  const char* name;
  const char* units;
  double min;
  double max;
  double default_value;
} namk_knob_info;

/* The message of the most recent failed call on this thread ("" if none). Never NULL; valid until
 * the next failing call on this thread. */
const char* namk_last_error(void);

/* The runtime's version: "MAJOR.MINOR.PATCH", and as MAJOR * 10000 + MINOR * 100 + PATCH. */
const char* namk_version(void);
int namk_version_number(void);
/* Non-zero when this build resamples (namk_prepare at a rate other than the model's). */
int namk_can_resample(void);

/* Load a model (.nam file, or a nam-knobs knob model). On failure *out is NULL. */
namk_status namk_load_file(const char* path, namk_model** out);
/* The same from the file's contents in memory (size bytes, no terminator needed). */
namk_status namk_load_memory(const char* data, size_t size, namk_model** out);
/* Accepts NULL. */
void namk_free(namk_model* model);

/* The rate the model was trained at (Hz); 0 for a NULL handle. */
double namk_sample_rate(const namk_model* model);

/* The model's knob ramp time in milliseconds (0: knob changes apply at the next block). */
double namk_smoothing_ms(const namk_model* model);

/* Levels from the model's metadata, for a host that normalises output; a has_ field is 0 when the
 * model does not give that number (its value is then 0). */
typedef struct namk_levels {
  int has_loudness;
  double loudness_db; /* the model's output loudness for NAM's standard input */
  int has_input_level;
  double input_level_dbu; /* the input level (dBu) that reaches 0 dBFS, as recorded */
  int has_output_level;
  double output_level_dbu;
} namk_levels;
namk_status namk_get_levels(const namk_model* model, namk_levels* levels);

/* Slimmable models (NAM 0.7's SlimmableContainer, and WaveNets with slimmable layer arrays) run at
 * several sizes, picked by a slim value in 0..1: smaller values pick smaller, cheaper models.
 * A model loads at its full size (slim 1). Size i serves the slim values from max_value of size
 * i - 1 (0 for the first) up to, not including, its own max_value; the last serves up to 1. */
/* The number of sizes: 0 for a model that is not slimmable, or a NULL handle. */
int namk_slim_size_count(const namk_model* model);
/* Size index's max_value (see above). */
namk_status namk_get_slim_size(const namk_model* model, int index, double* max_value);
/* The slim value last set (1 after loading), and the index of the size it picked. */
namk_status namk_get_slim(const namk_model* model, double* slim, int* size_index);
/* Picks the size for slim (clamped to 0..1). Not real-time safe: a new size is a new model, built
 * from the loaded file (it allocates, and takes milliseconds for a large model); a prepared handle
 * is prepared again at the same rate and block size and pre-warmed, so its audio history starts
 * afresh. A value picking the size in use only records the value. On failure the handle keeps its
 * size. A real-time host calls this on a second handle outside the audio thread and swaps the
 * handles between process calls (the LV2 plugin does so in its worker thread). */
namk_status namk_set_slim(namk_model* model, double slim);

/* Number of knobs (0 for a plain NAM model or a NULL handle). */
int namk_knob_count(const namk_model* model);
namk_status namk_get_knob_info(const namk_model* model, int index, namk_knob_info* info);
/* The current value (after clamping to the range). */
namk_status namk_get_knob(const namk_model* model, int index, double* value);
/* Between process() calls; values are clamped to the knob's range, and the change ramps in over the
 * model's smoothing time. Real-time safe. */
namk_status namk_set_knob_index(namk_model* model, int index, double value);
/* As above, by name. Allocates only when the name is unknown (to build the message). */
namk_status namk_set_knob(namk_model* model, const char* name, double value);

/* Allocate the streaming state for blocks of up to max_block samples, reset and pre-warm (one
 * receptive field of silence, as NAM's runtime does, so the first samples carry no thump). At a
 * sample_rate other than namk_sample_rate(), a build that resamples (namk_can_resample()) runs the
 * model at its own rate between two converters, which adds namk_latency() samples; other builds
 * refuse with NAMK_ERROR_SAMPLE_RATE. Not real-time safe. */
namk_status namk_prepare(namk_model* model, double sample_rate, int max_block);
/* Samples (at the rate given to namk_prepare) between an input sample and the output it causes:
 * 0 at the model's own rate, the converters' delay when resampling, 0 before prepare. */
int namk_latency(const namk_model* model);
/* n samples of any count (split internally into blocks of max_block). in and out may be the same
 * buffer; otherwise they must not overlap. Allocates, locks and throws nothing; flushes denormals
 * for its own duration (the model does). Before prepare() it writes silence and returns NAMK_ERROR_NOT_PREPARED. */
namk_status namk_process(namk_model* model, const float* in, float* out, int n);
/* Clear the audio history, jump the knobs to their latest values and pre-warm as above. Allocates
 * nothing, except when resampling after audio has run since namk_prepare or the last namk_reset:
 * the converters are then re-created (libsoxr cannot clear them otherwise), so call it outside the
 * audio thread first (a plugin's activate), and the call in the audio thread stays free. */
namk_status namk_reset(namk_model* model);

#ifdef __cplusplus
}
#endif

#endif /* NAMK_H */
