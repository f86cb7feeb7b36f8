// Entry point of the host tests (doctest). Run: firmware/build/host-tests [doctest options]
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
