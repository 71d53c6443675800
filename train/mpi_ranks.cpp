// The MPI world as train/distributed.h's ranks; built only with NAMK_MPI. Errors return instead of
// aborting (MPI_ERRORS_RETURN) so a failed collective becomes an Error naming this rank and host;
// a rank that dies outright is reported by the launcher (mpirun, srun), which also ends the job.
// Collectives may be called from any one thread at a time (the trainer calls one from inside an
// OpenMP single region): MPI_THREAD_SERIALIZED.
#include <mpi.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "base/error.h"
#include "train/distributed.h"

namespace namk {

namespace {

class MpiRanks final : public Distributed {
 public:
  MpiRanks() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    MPI_Get_processor_name(name, &length);
    host_.assign(name, static_cast<size_t>(length));
    if (provided < MPI_THREAD_SERIALIZED) {
      // Without it a collective called from a worker thread is undefined behaviour.
      const std::string message = where() + ": the MPI library offers thread level " + std::to_string(provided) +
                                  ", expected MPI_THREAD_SERIALIZED (" +
                                  std::to_string(MPI_THREAD_SERIALIZED) + ") or more";
      MPI_Finalize();
      throw Error(message);
    }
  }
  ~MpiRanks() override { MPI_Finalize(); }

  void allgather_items(std::span<const double> mine, std::span<double> all, Index n,
                       Index width) const override {
    gather(mine.data(), all.data(), mine.size(), all.size(), MPI_DOUBLE, n, width);
  }
  void allgather_items(std::span<const float> mine, std::span<float> all, Index n,
                       Index width) const override {
    gather(mine.data(), all.data(), mine.size(), all.size(), MPI_FLOAT, n, width);
  }

  bool any(bool flag) const override {
    int mine = flag ? 1 : 0, result = 0;
    check(MPI_Allreduce(&mine, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return result != 0;
  }

  void broadcast(std::vector<char>& bytes) const override {
    auto size = static_cast<unsigned long long>(bytes.size());
    check(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
    bytes.resize(size);
    // In pieces of at most INT_MAX bytes: MPI counts are int.
    for (size_t at = 0; at < bytes.size();) {
      const size_t piece = std::min<size_t>(bytes.size() - at, std::numeric_limits<int>::max());
      check(MPI_Bcast(bytes.data() + at, static_cast<int>(piece), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
      at += piece;
    }
  }

  void abort(int code) const override { MPI_Abort(MPI_COMM_WORLD, code); }

 private:
  void gather(const void* mine, void* all, size_t mine_size, size_t all_size, MPI_Datatype type, Index n,
              Index width) const {
    std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    Index total = 0;
    for (int r = 0; r < size_; ++r) {
      const Index count = (n * (r + 1) / size_ - n * r / size_) * width;
      if (total + count > std::numeric_limits<int>::max())
        throw UsageError(where() + ": a gather of " + std::to_string(n * width) +
                         " numbers, more than MPI's int counts hold");
      counts[static_cast<size_t>(r)] = static_cast<int>(count);
      offsets[static_cast<size_t>(r)] = static_cast<int>(total);
      total += count;
    }
    if (static_cast<Index>(mine_size) != counts[static_cast<size_t>(rank_)] || static_cast<Index>(all_size) != total)
      throw UsageError(where() + ": allgather_items: " + std::to_string(mine_size) + " and " +
                       std::to_string(all_size) + " values for " + std::to_string(n) + " items of " +
                       std::to_string(width));
    check(MPI_Allgatherv(mine, counts[static_cast<size_t>(rank_)], type, all, counts.data(), offsets.data(),
                         type, MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  void check(int code, const char* call) const {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(where() + ": " + call + " failed (" + std::string(text, static_cast<size_t>(length)) +
                "): another rank has probably stopped; the launcher's message names it");
  }
};

}  // namespace

std::unique_ptr<Distributed> join_mpi_ranks() { return std::make_unique<MpiRanks>(); }

}  // namespace namk
