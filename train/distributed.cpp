// See distributed.h. The single-rank implementation: every collective is a copy. With NAMK_MPI the
// world of ranks comes from train/mpi_ranks.cpp when a launcher started this process.
#include "train/distributed.h"

#include <algorithm>
#include <cstdlib>

#include "base/error.h"

namespace namk {

#ifdef NAMK_HAVE_MPI
std::unique_ptr<Distributed> join_mpi_ranks();  // train/mpi_ranks.cpp
#endif

namespace {

template <class T>
void copy_items(std::span<const T> mine, std::span<T> all, Index n, Index width) {
  if (static_cast<Index>(mine.size()) != n * width || all.size() != mine.size())
    throw UsageError("Distributed::allgather_items: " + std::to_string(mine.size()) + " and " +
                     std::to_string(all.size()) + " values for " + std::to_string(n) + " items of " +
                     std::to_string(width));
  std::copy(mine.begin(), mine.end(), all.begin());
}

// mpirun (Open MPI), mpiexec (MPICH's hydra) and srun (Slurm, PMI or PMIx) each set one of these in
// every process they start; a process started by hand has none and must not initialise MPI (an Open
// MPI singleton would start a daemon, and training alone must stay exactly as it was).
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

#ifndef NAMK_HAVE_MPI
// The processes the launcher started, where it says (Open MPI, PMI); 1 when it does not.
long launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::strtol(value, nullptr, 10);
  return 1;
}
#endif

}  // namespace

std::string Distributed::where() const {
  return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " on " + host_;
}

void Distributed::allgather_items(std::span<const double> mine, std::span<double> all, Index n,
                                  Index width) const {
  copy_items(mine, all, n, width);
}

void Distributed::allgather_items(std::span<const float> mine, std::span<float> all, Index n,
                                  Index width) const {
  copy_items(mine, all, n, width);
}

std::unique_ptr<Distributed> join_ranks() {
  if (!started_by_launcher()) return std::make_unique<Distributed>();
#ifdef NAMK_HAVE_MPI
  return join_mpi_ranks();
#else
  // Each copy would train alone, every one of them writing the same --out.
  if (launched_processes() > 1)
    throw Error("nam-knobs was built without MPI (NAMK_MPI off), but a launcher started it as one of " +
                std::to_string(launched_processes()) +
                " processes, which would each train alone into the same --out: rebuild it where an MPI "
                "library is installed (Debian: libopenmpi-dev), or run it without mpirun");
  return std::make_unique<Distributed>();
#endif
}

bool mpi_available() {
#ifdef NAMK_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace namk
