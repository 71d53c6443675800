// See architecture.h.
#include "nn/architecture.h"

#include <array>

#include "nn/convnet.h"
#include "nn/lstm.h"
#include "nn/wavenet.h"

namespace namk {

namespace {
template <class M>
std::unique_ptr<Model> build(const ModelConfig& config) {
  return std::make_unique<M>(config);
}

const std::array<Architecture, 4> kArchitectures{{
    {"WaveNet", read_wavenet_config, write_wavenet_config, build<WaveNet>, true},
    {"LSTM", read_lstm_config, write_lstm_config, build<Lstm>, false},
    {"ConvNet", read_convnet_config, write_convnet_config, build<ConvNet>, false},
    {"Linear", read_linear_config, write_linear_config, build<Linear>, false},
}};
}  // namespace

const Architecture* find_architecture(std::string_view name) {
  for (const Architecture& a : kArchitectures)
    if (name == a.name) return &a;
  return nullptr;
}

std::string architecture_names() {
  std::string names;
  for (const Architecture& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.name);
  return names;
}

}  // namespace namk
