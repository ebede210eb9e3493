#include "fault_channel.hpp"

NOTIBUS_DEFINE_CHANNEL(fault, notibus::test::fault_channel, "Scripted failures for tests.", "0.0.1")
