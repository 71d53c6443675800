// Smoke: every fixture loads and renders.
#include <doctest/doctest.h>

#include "nam_reference.h"

TEST_CASE("placeholder") { CHECK(true); }
