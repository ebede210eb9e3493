#include <gtest/gtest.h>

#include "config/duration.hpp"

using namespace std::chrono_literals;

TEST(duration, parses_units) {
  EXPECT_EQ(notibus::parse_duration("250ms"), 250ms);
  EXPECT_EQ(notibus::parse_duration("2s"), 2s);
  EXPECT_EQ(notibus::parse_duration("5m"), 5min);
  EXPECT_EQ(notibus::parse_duration("1h"), 1h);
  EXPECT_EQ(notibus::parse_duration("1m30s"), 90s);
  EXPECT_FALSE(notibus::parse_duration("5"));
  EXPECT_FALSE(notibus::parse_duration("s"));
  EXPECT_FALSE(notibus::parse_duration("1x"));
  EXPECT_FALSE(notibus::parse_duration(""));
}
