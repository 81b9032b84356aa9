#pragma once
// The long-running commands: `run` (the processor), `broker` (the embedded broker alone) and
// `demo` (broker + synthetic producer + processor). Each returns the process exit code.

#include <string>
#include <vector>

namespace fristvagt::processor {

int RunProcessor(const std::vector<std::string>& args, const std::string& default_rules_dir);
int RunBroker(const std::vector<std::string>& args);
int RunDemo(const std::vector<std::string>& args, const std::string& default_rules_dir);

}  // namespace fristvagt::processor
