// Reading a whole text file (a JSON config, a .nam model) into memory, with the one error every
// caller reports: "<path>: expected <what>, found no such file (or it cannot be read)".
#pragma once

#include <string>

namespace namk {

// Throws InputError naming path when it is missing, unreadable or not a regular file (a folder
// opens as a stream on Linux and would read as empty). what: e.g. "a model file".
std::string read_text_file(const std::string& path, const std::string& what);

}  // namespace namk
