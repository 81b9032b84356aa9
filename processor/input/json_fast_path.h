#pragma once
// The fast path of EventDecoder::FromJson (issue 15): simdjson parses the line and the fields
// are set through the schema, instead of protobuf's generic JSON converter (16-19 µs and ~500
// allocations per event). It covers the JSON that well-formed events use — strings, bools,
// int32 numbers, enum names, RFC 3339 timestamps, objects, one payload, unknown scalar keys —
// and gives up (false) on anything else: null, a key twice, a number where protobuf would
// also take a string, an unknown enum name, an unknown key holding an object or array, any
// JSON simdjson refuses. The caller then takes the generic path, which decides and words every
// rejection, so codes and messages stay those of protobuf's path. What this path accepts it
// decodes exactly as the generic path does (tests/processor/event_decoder_test.cc and the fuzz
// target compare the two on every input). Thread-safe (one simdjson parser per thread).

#include <string_view>

#include "proto/case_event.pb.h"

namespace fristvagt::processor {

// True when `line` was decoded into `*event` (which starts empty); false: take the generic
// path (`*event` then holds anything).
bool JsonToCaseEventFast(std::string_view line, v1::CaseEvent* event);

}  // namespace fristvagt::processor
