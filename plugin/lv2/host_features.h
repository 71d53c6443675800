// The host's side of instantiating the nam-knobs LV2 plugin, for this project's own hosts (bench's
// plugin section and the lilv test host): a urid:map, and the options feature announcing the
// largest block (buf-size's maxBlockLength), the two features namk_lv2 requires. Header-only C++;
// the plugin itself is C and does not include it.
#pragma once

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>

#include <cstdint>
#include <string>
#include <vector>

namespace namk::lv2_host {

// urid:map: a URI's number is its place in the list (from 1).
inline LV2_URID map_uri(LV2_URID_Map_Handle, const char* uri) {
  static std::vector<std::string> uris;
  for (size_t i = 0; i < uris.size(); ++i)
    if (uris[i] == uri) return static_cast<LV2_URID>(i + 1);
  uris.emplace_back(uri);
  return static_cast<LV2_URID>(uris.size());
}

// The features to pass to instantiate; they point into this object and at *max_block, so both
// must outlive the call. `extra`, when given, is passed too (the test host's worker).
class Features {
 public:
  explicit Features(int32_t* max_block, const LV2_Feature* extra = nullptr)
      : options_{{LV2_OPTIONS_INSTANCE, 0, map_uri(nullptr, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t),
                  map_uri(nullptr, LV2_ATOM__Int), max_block},
                 {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr}},
        features_{&map_feature_, &options_feature_, extra, nullptr} {}
  Features(const Features&) = delete;
  Features& operator=(const Features&) = delete;
  const LV2_Feature* const* get() const { return features_; }

 private:
  LV2_URID_Map map_{nullptr, map_uri};
  LV2_Feature map_feature_{LV2_URID__map, &map_};
  LV2_Options_Option options_[2];
  LV2_Feature options_feature_{LV2_OPTIONS__options, options_};
  const LV2_Feature* features_[4];
};

}  // namespace namk::lv2_host
