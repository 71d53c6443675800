// See lv2_bundle.h. The port order written here is the plugin library's contract
// (plugin/lv2/namk_lv2.c): in, out, input_gain_db, output_gain_db, [latency], then the knobs, then
// [slim] for a slimmable model.
#include "apps/lv2_bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "nn/namk.h"

namespace namk::app {

namespace fs = std::filesystem;

namespace {

std::string file_stem(const std::string& path) { return fs::path(path).stem().string(); }

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    q += c;
  }
  return q + "\"";
}

// A Turtle decimal or double (never an integer literal, so hosts read a float).
std::string number(double x) {
  char text[40];
  std::snprintf(text, sizeof text, "%.9g", x);
  std::string s = text;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// Units the LV2 units extension names; anything else becomes a unit of its own with the label.
std::string units_triple(const std::string& units) {
  static const std::map<std::string, std::string> known = {
      {"dB", "units:db"},  {"db", "units:db"},   {"Hz", "units:hz"},         {"kHz", "units:khz"},
      {"ms", "units:ms"},  {"s", "units:s"},     {"%", "units:pc"},          {"cents", "units:cent"},
      {"semitones", "units:semitone12TET"},      {"bpm", "units:bpm"},
  };
  if (units.empty()) return "";
  const auto it = known.find(units);
  if (it != known.end()) return " ;\n    units:unit " + it->second;
  return " ;\n    units:unit [ a units:Unit ; rdfs:label " + quoted(units) + " ; units:symbol " + quoted(units) +
         " ; units:render " + quoted("%f " + units) + " ]";
}

void fail_io(const std::string& path, const std::string& what) {
  throw Error("nam-knobs export: " + path + ": " + what + ": " + std::strerror(errno));
}

// Writes bytes to path and fsyncs them, so the rename that publishes the bundle follows full files.
void write_synced(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail_io(path, "cannot create");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail_io(path, "cannot write");
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) fail_io(path, "cannot write");
}

std::string read_bytes(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("nam-knobs export: cannot read " + what + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string lv2_slug(const std::string& text) {
  std::string slug;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "model" : slug;
}

std::string lv2_symbol(const std::string& name, std::set<std::string>& taken) {
  std::string s;
  for (unsigned char c : name) s += std::isalnum(c) && c < 128 ? static_cast<char>(c) : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "_" + s;
  std::string unique = s;
  for (int i = 2; taken.count(unique); ++i) unique = s + "_" + std::to_string(i);
  taken.insert(unique);
  return unique;
}

std::string lv2_plugin_name(const LoadedModel& model, const std::string& model_path) {
  return model.metadata.name.empty() ? file_stem(model_path) : model.metadata.name;
}

std::string lv2_plugin_uri(const LoadedModel& model, const std::string& model_path) {
  return "urn:nam-knobs:model:" + lv2_slug(lv2_plugin_name(model, model_path));
}

std::string lv2_manifest_ttl(const std::string& uri, const std::string& binary_name) {
  return "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
         "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
         "<" + uri + ">\n    a lv2:Plugin ;\n    lv2:binary <" + binary_name + "> ;\n"
         "    rdfs:seeAlso <plugin.ttl> .\n";
}

std::string lv2_plugin_ttl(const LoadedModel& loaded, const std::string& uri, const std::string& name,
                           bool has_latency) {
  // A slimmable model's size is a control; the plugin builds a new size in the host's worker.
  const bool slimmable = !loaded.slim_max_values.empty();
  std::ostringstream t;
  t << "@prefix doap: <http://usefulinc.com/ns/doap#> .\n"
       "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
       "@prefix opts: <http://lv2plug.in/ns/ext/options#> .\n"
       "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
       "@prefix units: <http://lv2plug.in/ns/extensions/units#> .\n"
       "@prefix urid: <http://lv2plug.in/ns/ext/urid#> .\n"
       "@prefix work: <http://lv2plug.in/ns/ext/worker#> .\n\n";
  t << "<" << uri << ">\n    a lv2:Plugin , lv2:SimulatorPlugin ;\n"
    << "    doap:name " << quoted(name) << " ;\n";
  std::string comment = "A nam-knobs neural amp model; its knobs are the controls.";
  if (!loaded.metadata.modeled_by.empty()) comment += " Modeled by " + loaded.metadata.modeled_by + ".";
  t << "    rdfs:comment " << quoted(comment) << " ;\n"
    << "    lv2:optionalFeature lv2:hardRTCapable , opts:options , urid:map"
    << (slimmable ? " , work:schedule ;\n    lv2:extensionData work:interface ;\n" : " ;\n")
    << "    opts:supportedOption <http://lv2plug.in/ns/ext/buf-size#maxBlockLength> ;\n";
  int index = 0;
  std::vector<std::string> ports;
  auto port = [&](const std::string& body) {
    ports.push_back("[\n    a " + body + "\n  ]");
    ++index;
  };
  auto control = [&](const std::string& symbol, const std::string& label, double def, double lo, double hi,
                     const std::string& units) {
    port("lv2:ControlPort , lv2:InputPort ;\n    lv2:index " + std::to_string(index) + " ;\n    lv2:symbol " +
         quoted(symbol) + " ;\n    lv2:name " + quoted(label) + " ;\n    lv2:default " + number(def) +
         " ;\n    lv2:minimum " + number(lo) + " ;\n    lv2:maximum " + number(hi) + units_triple(units));
  };
  port("lv2:AudioPort , lv2:InputPort ;\n    lv2:index 0 ;\n    lv2:symbol \"in\" ;\n    lv2:name \"In\"");
  port("lv2:AudioPort , lv2:OutputPort ;\n    lv2:index 1 ;\n    lv2:symbol \"out\" ;\n    lv2:name \"Out\"");
  control("input_gain_db", "Input gain", 0, -40, 40, "dB");
  control("output_gain_db", "Output gain", 0, -40, 40, "dB");
  std::set<std::string> taken = {"in", "out", "input_gain_db", "output_gain_db", "latency", "slim"};
  if (has_latency)
    port("lv2:ControlPort , lv2:OutputPort ;\n    lv2:index " + std::to_string(index) +
         " ;\n    lv2:symbol \"latency\" ;\n    lv2:name \"Latency\" ;\n"
         "    lv2:portProperty lv2:reportsLatency , lv2:integer ;\n    units:unit units:frame");
  for (const KnobSpec& k : loaded.model->knobs())
    control(lv2_symbol(k.name, taken), k.name, k.default_value, k.min, k.max, k.units);
  if (slimmable) control("slim", "Size", 1, 0, 1, "");
  t << "    lv2:port ";
  for (size_t i = 0; i < ports.size(); ++i) t << (i ? " , " : "") << ports[i];
  t << " .\n";
  return t.str();
}

std::string find_plugin_library(const std::optional<std::string>& given) {
  if (given) return *given;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "namk_lv2.so");
    candidates.push_back(exe.parent_path() / NAMK_LV2_INSTALL_RELATIVE / "namk_lv2.so");
  }
  std::string looked;
  for (const fs::path& c : candidates) {
    if (fs::is_regular_file(c, ec)) return c.string();
    looked += (looked.empty() ? "" : ", ") + c.lexically_normal().string();
  }
  throw Error("nam-knobs export: the LV2 plugin library (namk_lv2.so) is not in " +
              (looked.empty() ? std::string("any known place") : looked) +
              "; build with -DNAMK_BUILD_LV2=ON or pass --plugin PATH");
}

void write_lv2_bundle(const Lv2BundleRequest& r, const LoadedModel& model) {
  const fs::path bundle = fs::path(r.bundle).lexically_normal();
  if (bundle.filename().empty()) throw UsageError("nam-knobs export: --lv2: give a folder name, e.g. Amp.lv2");
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(bundle, ec));
  if (exists && !r.force)
    throw UsageError("nam-knobs export: " + bundle.string() + " already exists; add --force to replace it");
  if (exists && !fs::is_directory(fs::symlink_status(bundle, ec)))
    throw UsageError("nam-knobs export: " + bundle.string() + " exists and is not a folder; not replacing it");
  const std::string library = read_bytes(r.library, "the LV2 plugin library");
  const std::string model_bytes = read_bytes(r.model_path, "the model");
  const std::string uri = lv2_plugin_uri(model, r.model_path);
  const std::string name = lv2_plugin_name(model, r.model_path);
  const std::string binary = "namk_lv2.so";

  // A temporary sibling (same file system, so the final rename is atomic).
  const fs::path parent = bundle.has_parent_path() ? bundle.parent_path() : fs::path(".");
  std::string temp = (parent / ("." + bundle.filename().string() + ".tmp-XXXXXX")).string();
  if (!::mkdtemp(temp.data()))
    fail_io(parent.string(), "cannot create the bundle there (is the folder there and writable?)");
  // mkdtemp makes the folder private; a bundle is as readable as any file the user creates.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp.c_str(), 0777 & ~mask);
  try {
    write_synced(temp + "/manifest.ttl", lv2_manifest_ttl(uri, binary));
    write_synced(temp + "/plugin.ttl", lv2_plugin_ttl(model, uri, name, namk_can_resample()));
    write_synced(temp + "/plugin-uri.txt", uri + "\n");
    write_synced(temp + "/model.nam", model_bytes);
    write_synced(temp + "/" + binary, library);
    fs::permissions(temp + "/" + binary, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
    if (exists) {
      // The old bundle moves aside first, so a failure here leaves it where it was.
      std::string old = (parent / ("." + bundle.filename().string() + ".old-XXXXXX")).string();
      if (!::mkdtemp(old.data())) fail_io(parent.string(), "cannot replace the bundle there");
      if (std::rename(bundle.c_str(), old.c_str()) != 0) {
        fs::remove_all(old, ec);
        fail_io(bundle.string(), "cannot replace");
      }
      if (std::rename(temp.c_str(), bundle.c_str()) != 0) {
        const int saved = errno;
        std::rename(old.c_str(), bundle.c_str());
        errno = saved;
        fail_io(bundle.string(), "cannot create");
      }
      fs::remove_all(old, ec);
    } else if (std::rename(temp.c_str(), bundle.c_str()) != 0) {
      fail_io(bundle.string(), "cannot create");
    }
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
}

}  // namespace namk::app
