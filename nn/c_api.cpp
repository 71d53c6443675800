// The C API (nn/namk.h) over Model and model_from_json. Every entry point catches everything: a C
// caller cannot unwind C++ exceptions, so each failure becomes a namk_status plus a thread-local
// message. The message lives in a fixed buffer, so reporting an error never allocates.
#include "nn/namk.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/text_file.h"
#include "nn/model_file.h"
#include "nn/slimmable.h"
#ifdef NAMK_HAVE_RESAMPLE
#include "nn/resampled_stream.h"
#endif

struct namk_model {
  std::unique_ptr<namk::Model> model;
  namk::ModelMetadata metadata;
  int max_block = 0;
  double rate = 0;  // the rate given to the last successful namk_prepare
  // Slimmable models only: the file, to build another size from, and the sizes.
  std::string text, name;
  std::vector<double> slim_max_values;
  size_t slim_choice = 0;
  double slim = 1;
#ifdef NAMK_HAVE_RESAMPLE
  std::unique_ptr<namk::ResampledStream> resampler;  // set when prepared at another rate
#endif
  // One block each way. Model::process does not promise in-place operation and the test build's
  // Scalar is double, so audio is copied through these; two copies cost little next to the model.
  std::vector<namk::Scalar> in_buf, out_buf;
};

namespace {

thread_local char last_error[1024] = "";

namk_status fail(namk_status status, const char* message) {
  std::snprintf(last_error, sizeof last_error, "%s", message);
  return status;
}

// The one translation of C++ failures into status codes, shared by every entry point.
template <class F>
namk_status guarded(namk_status on_input_error, F&& body) noexcept {
  try {
    return body();
  } catch (const namk::InputError& e) {
    return fail(on_input_error, e.what());
  } catch (const namk::UsageError& e) {
    return fail(NAMK_ERROR_ARGUMENT, e.what());
  } catch (const std::bad_alloc&) {
    return fail(NAMK_ERROR_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(NAMK_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail(NAMK_ERROR_INTERNAL, "unknown C++ exception");
  }
}

namk_status load(const std::string& text, const std::string& name, namk_model** out) {
  return guarded(NAMK_ERROR_MODEL, [&] {
    namk::LoadedModel loaded = namk::model_from_json(text, name);
    auto m = std::make_unique<namk_model>();
    m->model = std::move(loaded.model);
    m->metadata = std::move(loaded.metadata);
    if (!loaded.slim_max_values.empty()) {
      m->text = text;
      m->name = name;
      m->slim_max_values = std::move(loaded.slim_max_values);
      m->slim_choice = loaded.slim_choice;
    }
    *out = m.release();
    return NAMK_OK;
  });
}

bool valid_index(const namk_model* m, int index) {
  return index >= 0 && static_cast<size_t>(index) < m->model->knobs().size();
}

}  // namespace

extern "C" {

const char* namk_last_error(void) { return last_error; }

const char* namk_version(void) { return NAMK_VERSION; }
int namk_version_number(void) {
  return NAMK_VERSION_MAJOR * 10000 + NAMK_VERSION_MINOR * 100 + NAMK_VERSION_PATCH;
}

int namk_can_resample(void) {
#ifdef NAMK_HAVE_RESAMPLE
  return 1;
#else
  return 0;
#endif
}

double namk_smoothing_ms(const namk_model* model) { return model ? model->model->config().smoothing_ms : 0.0; }

namk_status namk_get_levels(const namk_model* model, namk_levels* levels) {
  if (!model || !levels) return fail(NAMK_ERROR_ARGUMENT, "namk_get_levels: NULL argument");
  const namk::ModelMetadata& md = model->metadata;
  *levels = {md.loudness.has_value(), md.loudness.value_or(0.0),
             md.input_level_dbu.has_value(), md.input_level_dbu.value_or(0.0),
             md.output_level_dbu.has_value(), md.output_level_dbu.value_or(0.0)};
  return NAMK_OK;
}

int namk_latency(const namk_model* model) {
#ifdef NAMK_HAVE_RESAMPLE
  if (model && model->resampler) return model->resampler->latency();
#else
  (void)model;
#endif
  return 0;
}

namk_status namk_load_file(const char* path, namk_model** out) {
  if (!out) return fail(NAMK_ERROR_ARGUMENT, "namk_load_file: out is NULL");
  *out = nullptr;
  if (!path) return fail(NAMK_ERROR_ARGUMENT, "namk_load_file: path is NULL");
  // Read here rather than through load_model() so a missing file gets its own status.
  std::string text;
  const namk_status read = guarded(NAMK_ERROR_IO, [&] {
    text = namk::read_text_file(path, "a model file");
    return NAMK_OK;
  });
  return read == NAMK_OK ? load(text, path, out) : read;
}

namk_status namk_load_memory(const char* data, size_t size, namk_model** out) {
  if (!out) return fail(NAMK_ERROR_ARGUMENT, "namk_load_memory: out is NULL");
  *out = nullptr;
  if (!data) return fail(NAMK_ERROR_ARGUMENT, "namk_load_memory: data is NULL");
  return guarded(NAMK_ERROR_MODEL, [&] { return load(std::string(data, size), "<memory>", out); });
}

void namk_free(namk_model* model) { delete model; }

double namk_sample_rate(const namk_model* model) { return model ? model->model->sample_rate() : 0.0; }

int namk_knob_count(const namk_model* model) {
  return model ? static_cast<int>(model->model->knobs().size()) : 0;
}

namk_status namk_get_knob_info(const namk_model* model, int index, namk_knob_info* info) {
  if (!model || !info) return fail(NAMK_ERROR_ARGUMENT, "namk_get_knob_info: NULL argument");
  if (!valid_index(model, index)) return fail(NAMK_ERROR_ARGUMENT, "namk_get_knob_info: knob index out of range");
  const namk::KnobSpec& k = model->model->knobs()[static_cast<size_t>(index)];
  *info = {k.name.c_str(), k.units.c_str(), k.min, k.max, k.default_value};
  return NAMK_OK;
}

namk_status namk_get_knob(const namk_model* model, int index, double* value) {
  if (!model || !value) return fail(NAMK_ERROR_ARGUMENT, "namk_get_knob: NULL argument");
  if (!valid_index(model, index)) return fail(NAMK_ERROR_ARGUMENT, "namk_get_knob: knob index out of range");
  *value = model->model->knob(index);
  return NAMK_OK;
}

namk_status namk_set_knob_index(namk_model* model, int index, double value) {
  if (!model) return fail(NAMK_ERROR_ARGUMENT, "namk_set_knob_index: model is NULL");
  if (!valid_index(model, index)) return fail(NAMK_ERROR_ARGUMENT, "namk_set_knob_index: knob index out of range");
  if (std::isnan(value)) return fail(NAMK_ERROR_ARGUMENT, "namk_set_knob_index: value is NaN");
  model->model->set_knob(static_cast<namk::Index>(index), value);
  return NAMK_OK;
}

namk_status namk_set_knob(namk_model* model, const char* name, double value) {
  if (!model || !name) return fail(NAMK_ERROR_ARGUMENT, "namk_set_knob: NULL argument");
  if (std::isnan(value)) return fail(NAMK_ERROR_ARGUMENT, "namk_set_knob: value is NaN");
  // Model::set_knob throws UsageError only for an unknown name.
  return guarded(NAMK_ERROR_INTERNAL, [&] {
    try {
      model->model->set_knob(name, value);
    } catch (const namk::UsageError& e) {
      return fail(NAMK_ERROR_UNKNOWN_KNOB, e.what());
    }
    return NAMK_OK;
  });
}

namk_status namk_prepare(namk_model* model, double sample_rate, int max_block) {
  if (!model) return fail(NAMK_ERROR_ARGUMENT, "namk_prepare: model is NULL");
  if (max_block < 1) return fail(NAMK_ERROR_ARGUMENT, "namk_prepare: max_block must be at least 1");
  return guarded(NAMK_ERROR_INTERNAL, [&] {
    const double rate = model->model->sample_rate();
    // Sample rates are whole numbers of Hz in practice; equality is the contract, not closeness.
    // Every refusal comes before any change, so a refused prepare leaves the last good one in place.
    if (!(sample_rate > 0) || (sample_rate != rate && !namk_can_resample())) {
      char message[240];
      std::snprintf(message, sizeof message,
                    "namk_prepare: the model runs at %g Hz, the host asked for %g Hz; %s", rate, sample_rate,
                    sample_rate > 0 ? "this build cannot resample (built without libsoxr); resample the "
                                      "audio or use a model made at that rate"
                                    : "a sample rate must be positive");
      return fail(NAMK_ERROR_SAMPLE_RATE, message);
    }
    // Buffers first: if the model's prepare() fails, they are merely larger than needed.
    model->in_buf.assign(static_cast<size_t>(max_block), 0);
    model->out_buf.assign(static_cast<size_t>(max_block), 0);
#ifdef NAMK_HAVE_RESAMPLE
    model->model->prepare(sample_rate != rate ? std::max(max_block, namk::ResampledStream::model_block(rate, sample_rate, max_block))
                                              : max_block);
#else
    model->model->prepare(max_block);
#endif
#ifdef NAMK_HAVE_RESAMPLE
    // At another rate the model sees blocks of at most max_block at its own rate (it splits larger
    // ones), between the two converters.
    model->resampler.reset();
    if (sample_rate != rate)
      model->resampler = std::make_unique<namk::ResampledStream>(*model->model, sample_rate, max_block);
#endif
    model->model->prewarm();
    model->max_block = max_block;
    model->rate = sample_rate;
    return NAMK_OK;
  });
}

int namk_slim_size_count(const namk_model* model) {
  return model ? static_cast<int>(model->slim_max_values.size()) : 0;
}

namk_status namk_get_slim_size(const namk_model* model, int index, double* max_value) {
  if (!model || !max_value) return fail(NAMK_ERROR_ARGUMENT, "namk_get_slim_size: NULL argument");
  if (index < 0 || static_cast<size_t>(index) >= model->slim_max_values.size())
    return fail(NAMK_ERROR_ARGUMENT, "namk_get_slim_size: size index out of range");
  *max_value = model->slim_max_values[static_cast<size_t>(index)];
  return NAMK_OK;
}

namk_status namk_get_slim(const namk_model* model, double* slim, int* size_index) {
  if (!model || !slim || !size_index) return fail(NAMK_ERROR_ARGUMENT, "namk_get_slim: NULL argument");
  *slim = model->slim;
  *size_index = static_cast<int>(model->slim_choice);
  return NAMK_OK;
}

namk_status namk_set_slim(namk_model* model, double slim) {
  if (!model) return fail(NAMK_ERROR_ARGUMENT, "namk_set_slim: model is NULL");
  if (std::isnan(slim)) return fail(NAMK_ERROR_ARGUMENT, "namk_set_slim: slim is NaN");
  if (model->slim_max_values.empty()) return fail(NAMK_ERROR_ARGUMENT, "namk_set_slim: the model is not slimmable");
  const double v = std::clamp(slim, 0.0, 1.0);
  const size_t choice = namk::slim_size_index(model->slim_max_values, v);
  if (choice != model->slim_choice) {
    // The new size is built and prepared on the side, so a failure leaves the handle as it was.
    namk_model next;
    const namk_status built = guarded(NAMK_ERROR_MODEL, [&] {
      next.model = namk::model_from_json(model->text, model->name, v).model;
      return NAMK_OK;
    });
    if (built != NAMK_OK) return built;
    if (model->max_block > 0) {
      const namk_status prepared = namk_prepare(&next, model->rate, model->max_block);
      if (prepared != NAMK_OK) return prepared;
    }
    std::swap(model->model, next.model);
    std::swap(model->in_buf, next.in_buf);
    std::swap(model->out_buf, next.out_buf);
#ifdef NAMK_HAVE_RESAMPLE
    std::swap(model->resampler, next.resampler);
#endif
    model->slim_choice = choice;
  }
  model->slim = v;
  return NAMK_OK;
}

namk_status namk_process(namk_model* model, const float* in, float* out, int n) {
  if (!model || n < 0 || (n > 0 && (!in || !out)))
    return fail(NAMK_ERROR_ARGUMENT, "namk_process: NULL buffer or negative count");
  if (model->max_block == 0) {
    std::fill_n(out, n, 0.0f);
    return fail(NAMK_ERROR_NOT_PREPARED, "namk_process: call namk_prepare first");
  }
#ifdef NAMK_HAVE_RESAMPLE
  if (model->resampler) {
    model->resampler->process(in, out, n);
    return NAMK_OK;
  }
#endif
  while (n > 0) {
    const int chunk = std::min(n, model->max_block);
    std::copy_n(in, chunk, model->in_buf.data());
    model->model->process(model->in_buf.data(), model->out_buf.data(), chunk);
    std::copy_n(model->out_buf.data(), chunk, out);
    in += chunk;
    out += chunk;
    n -= chunk;
  }
  return NAMK_OK;
}

namk_status namk_reset(namk_model* model) {
  if (!model) return fail(NAMK_ERROR_ARGUMENT, "namk_reset: model is NULL");
  return guarded(NAMK_ERROR_INTERNAL, [&] {
    model->model->reset();
    model->model->prewarm();
#ifdef NAMK_HAVE_RESAMPLE
    if (model->resampler) model->resampler->reset();
#endif
    return NAMK_OK;
  });
}

}  // extern "C"
