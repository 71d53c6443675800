// The processes of one training run (MPI ranks) and the few collectives the trainer needs. Every
// rank runs the same loop on the same data and weights; each computes its share of every batch and
// the shares are gathered, item by item, so every rank sums them in item order, as one process
// does: the run's numbers do not depend on the number of ranks (docs/distributed.md). Built
// without MPI (NAMK_MPI off), or run without a launcher, this is one rank and every call is a copy.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/scalar.h"

namespace namk {

class Distributed {
 public:
  // One rank, no MPI: what the trainer uses when nobody asks for more.
  Distributed() = default;
  virtual ~Distributed() = default;
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool leader() const { return rank_ == 0; }
  // This rank's machine (MPI_Get_processor_name), for messages that must name where a rank runs.
  const std::string& host() const { return host_; }
  // "rank 1 of 4 on node7": the words a message about this process starts with.
  std::string where() const;

  // The items [first_item(n), first_item(n) + item_count(n)) of n are this rank's: contiguous
  // shares in rank order, as even as n allows (a rank may have none).
  Index first_item(Index n) const { return n * rank_ / size_; }
  Index item_count(Index n) const { return n * (rank_ + 1) / size_ - first_item(n); }

  // all = every rank's `mine` concatenated in rank order; rank r contributes
  // item_count(n) of r x width values (the caller's items of one batch of n, `width` numbers each).
  virtual void allgather_items(std::span<const double> mine, std::span<double> all, Index n, Index width) const;
  virtual void allgather_items(std::span<const float> mine, std::span<float> all, Index n, Index width) const;
  // True on every rank when `flag` is true on any (a stop request that reached one rank only).
  virtual bool any(bool flag) const { return flag; }
  // Rank 0's bytes, on every rank.
  virtual void broadcast(std::vector<char>& bytes) const { (void)bytes; }
  // Ends every rank of the job with `code` (after an error on this rank alone, the others would
  // wait for it forever). Returns (does nothing) when this is the only rank.
  virtual void abort(int code) const { (void)code; }

 protected:
  int rank_ = 0, size_ = 1;
  std::string host_ = "localhost";
};

// The ranks this process belongs to: MPI's world when the build has MPI and a launcher (mpirun,
// srun) started the process, else a single rank. MPI is initialised here and finalised when the
// returned object dies; at most one may exist at a time.
std::unique_ptr<Distributed> join_ranks();

// Whether this build can train on MPI (NAMK_MPI).
bool mpi_available();

}  // namespace namk
