// Float32 cache files of a dataset's audio, memory-mapped for training: made once, next to the
// audio (<folder>/.namk-cache/<file name>.f32), and rebuilt when the source's size, modification
// time or hash change. Every process that trains on the dataset maps the same file, so ranks on one
// machine share its pages, and a process holds in memory only the pages it touched lately
// (Track::release). The hash covers the source's first and last MiB (with its size and time),
// not every byte: reading every byte of hours of audio on each run is what the cache avoids.
#pragma once

#include <string>

#include "audio/audio_file.h"
#include "data/track.h"

namespace namk {

struct CachedAudio {
  Track samples;  // mapped from the cache file, or in memory when it could not be written
  int sample_rate = 0;
};

// The audio of `path`, as read_audio reads it, through its cache file. The warnings read_audio gave
// when the cache was made are stored in it and given again on every load. A folder where the cache
// cannot be written costs a warning and the audio is held in memory instead.
CachedAudio read_audio_cached(const std::string& path, const WarningSink& warn);

// Where the cache file of `audio_path` lives.
std::string audio_cache_path(const std::string& audio_path);

}  // namespace namk
