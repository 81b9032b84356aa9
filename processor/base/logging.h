#pragma once
// One named spdlog logger per subsystem (conventions.md): text on a terminal, JSON lines
// otherwise. Person keys never reach a log in clear text: use RedactKey.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace fristvagt::processor {

std::shared_ptr<spdlog::logger> Logger(const std::string& subsystem);

// A short stable pseudonym for a person key ("p#3f9a1c2b"), so log lines about one person can
// be correlated without revealing who it is.
std::string RedactKey(std::string_view person_key);

}  // namespace fristvagt::processor
