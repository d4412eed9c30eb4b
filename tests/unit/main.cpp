//===- main.cpp - Catch2 entry point of popt's unit tests -----------------===//
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
