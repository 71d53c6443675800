// doctest's main(), compiled once for every test executable. One addition: a run asked for test
// cases by name (`--test-case=NAME`, how CTest runs each case) that runs none fails. CMake splits
// a name at ';', and each half then matched no case and passed without testing anything: six
// cases had gone unrun that way.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

namespace {

// Counts the test cases that start; every other event is ignored.
struct CaseCounter : doctest::IReporter {
  static inline int started = 0;
  explicit CaseCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++started; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("case_counter", 1, CaseCounter);

bool names_test_cases(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const char* option : {"--test-case=", "-tc="})
      if (std::strncmp(argv[i], option, std::strlen(option)) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit() || result != 0) return result;
  if (CaseCounter::started == 0 && names_test_cases(argc, argv)) {
    std::fprintf(stderr, "no test case matches the names given: nothing was tested\n");
    return 1;
  }
  return result;
}
