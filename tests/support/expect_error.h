// Runs `f`, expecting an arecipe::Error whose message contains every one of `parts`.
#pragma once
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "engine/util/error.h"

namespace arecipe::test {

template <typename F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg << "\nmissing: " << p;
  }
}

}  // namespace arecipe::test
