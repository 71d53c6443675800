// An independent, naive evaluator of NAM's .nam files (versions 0.5.0 to 0.7.x): the ground
// truth our production loader is tested against. It shares no code with nn/ or core/,
// reads every option the format has (docs/model_format.md, "NAM's .nam files"), refuses any key
// it does not know (naming the key and the file), and renders in double precision with plain
// loops over the whole signal. Slow on purpose: readability first.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace namk::reference {

class Node;

struct RenderOptions {
  // The slimmable size in [0, 1]: picks a SlimmableContainer's submodel and a slimmable
  // WaveNet's width. 1 is the full model, which is also what NAM's runtime runs by default.
  double slim = 1.0;
  // Samples of silence run through the model before the input, as NAM's runtime does at reset;
  // -1: the count NAM's runtime uses for this model (ReferenceModel::prewarm_samples).
  long prewarm_samples = -1;
  // The values of input channels 1..in_channels-1, held constant over the pre-warm and the input
  // (a file whose extra input channels are knobs); exactly in_channels - 1 of them.
  std::vector<double> inputs;
};

class ReferenceModel {
 public:
  // `name` is what error messages call the source.
  static ReferenceModel from_json(const std::string& text, const std::string& name);
  static ReferenceModel load(const std::string& path);

  // x: the audio (input channel 0), with options.inputs on the other channels -> mono output, same
  // length.
  std::vector<double> render(const std::vector<double>& x, const RenderOptions& options = {}) const;
  long prewarm_samples(double slim = 1.0) const;
  // Slim values where the model changes (empty: not slimmable).
  std::vector<double> size_breakpoints() const;
  std::string describe(double slim = 1.0) const;
  int in_channels() const;
  const std::string& version() const { return version_; }
  const std::string& architecture() const { return architecture_; }

 private:
  std::shared_ptr<const Node> root_;
  std::string version_, architecture_;
};

}  // namespace namk::reference
