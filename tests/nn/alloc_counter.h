// Counts heap allocations made while a CountAllocations guard is alive, for the test binary that
// proves process() allocates nothing. Include it in exactly one translation unit of a binary: it
// replaces operator new/delete and, outside AddressSanitizer builds, malloc and friends (Eigen
// allocates through malloc, not operator new). Under ASan, which owns malloc, only operator new is
// counted; the plain build is the one that covers Eigen temporaries.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace namk::test {
inline std::atomic<long> g_allocations{0};
inline std::atomic<bool> g_counting{false};
inline void note_allocation() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

// Allocations between construction and count(); nesting is not supported.
class CountAllocations {
 public:
  CountAllocations() {
    g_allocations = 0;
    g_counting = true;
  }
  ~CountAllocations() { g_counting = false; }
  long count() const { return g_allocations.load(); }
};
}  // namespace namk::test

#if defined(__SANITIZE_ADDRESS__)
#define NAMK_COUNT_MALLOC 0
#else
#define NAMK_COUNT_MALLOC 1
#endif

#if NAMK_COUNT_MALLOC
// glibc's own entry points, so the replacements below can forward to them.
extern "C" {
void* __libc_malloc(size_t) noexcept;
void* __libc_calloc(size_t, size_t) noexcept;
void* __libc_realloc(void*, size_t) noexcept;
void* __libc_memalign(size_t, size_t) noexcept;
void __libc_free(void*) noexcept;

void* malloc(size_t n) noexcept {
  namk::test::note_allocation();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) noexcept {
  namk::test::note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) noexcept {
  namk::test::note_allocation();
  return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(size_t alignment, size_t n) noexcept {
  namk::test::note_allocation();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) noexcept {
  namk::test::note_allocation();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** p, size_t alignment, size_t n) noexcept {
  namk::test::note_allocation();
  *p = __libc_memalign(alignment, n);
  return *p ? 0 : ENOMEM;
}
}
#endif

// operator new counts itself only where malloc is not already counted. Every delete goes to free()
// because every new here comes from malloc/aligned_alloc.
inline void* namk_counted_new(std::size_t n, std::size_t alignment) {
  if (!NAMK_COUNT_MALLOC) namk::test::note_allocation();
  if (n == 0) n = 1;
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment)
                : std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new(std::size_t n) { return namk_counted_new(n, 0); }
void* operator new[](std::size_t n) { return namk_counted_new(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return namk_counted_new(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return namk_counted_new(n, std::size_t(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
