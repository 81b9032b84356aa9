// Prints the JSON Schema of one case event (docs/case_event.schema.json) from the compiled
// descriptor of proto/case_event.proto, so the schema cannot drift from the proto: CI
// regenerates it and compares (tests/contract/). What the proto cannot say (which envelope
// fields are required, the key and code formats, the earliest accepted time) comes from the
// decoder's checks and is written down here once; tests/contract/ checks the decoder agrees.
//
//   case_event_schema > docs/case_event.schema.json
//   case_event_schema --check docs/case_event.schema.json   (exit 1 when it differs)

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "proto/case_event.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// A JSON value that keeps its keys in insertion order, so the output is stable and reads in
// the proto's order.
struct Json {
  enum Kind { kRaw, kObject, kArray } kind = kRaw;
  std::string raw;  // a scalar, already JSON
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> items;

  static Json Str(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return Json{kRaw, out + "\"", {}, {}};
  }
  static Json Raw(std::string s) { return Json{kRaw, std::move(s), {}, {}}; }
  static Json Obj() { return Json{kObject, "", {}, {}}; }
  static Json Arr() { return Json{kArray, "", {}, {}}; }
  Json& Set(const std::string& key, Json value) {
    members.emplace_back(key, std::move(value));
    return *this;
  }
  Json& Add(Json value) {
    items.push_back(std::move(value));
    return *this;
  }

  void Print(std::ostream& out, int indent) const {
    const std::string pad(indent + 2, ' ');
    if (kind == kRaw) {
      out << raw;
    } else if (kind == kArray) {
      // Arrays of scalars on one line: enum lists and `required` stay readable.
      bool flat = true;
      for (const Json& j : items) flat = flat && j.kind == kRaw;
      out << "[";
      for (size_t i = 0; i < items.size(); ++i) {
        out << (i ? "," : "") << (flat ? (i ? " " : "") : "\n" + pad);
        items[i].Print(out, indent + 2);
      }
      out << (flat || items.empty() ? "" : "\n" + std::string(indent, ' ')) << "]";
    } else {
      out << "{";
      for (size_t i = 0; i < members.size(); ++i) {
        out << (i ? "," : "") << "\n" << pad << Str(members[i].first).raw << ": ";
        members[i].second.Print(out, indent + 2);
      }
      out << (members.empty() ? "" : "\n" + std::string(indent, ' ')) << "}";
    }
  }
};

Json StrArray(const std::vector<std::string>& values) {
  Json a = Json::Arr();
  for (const std::string& v : values) a.Add(Json::Str(v));
  return a;
}

// RFC 3339 as protobuf's JSON mapping reads it, from 2000 on (the decoder's BAD_TIME floor).
constexpr char kTimestampPattern[] =
    "^(2[0-9]{3}|[3-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$";

class SchemaBuilder {
 public:
  Json Build() {
    const Descriptor* event = fristvagt::v1::CaseEvent::descriptor();
    Json root = Json::Obj();
    root.Set("$schema", Json::Str("https://json-schema.org/draft/2020-12/schema"));
    root.Set("title", Json::Str(event->full_name()));
    root.Set("description",
             Json::Str("One case event, one JSON object per line (snake_case names, enum values "
                       "as names). Generated from proto/case_event.proto by "
                       "tools/case_event_schema; do not edit. docs/events.md explains every "
                       "field, the keys, the time rules and every rejection code."));
    root.Set("type", Json::Str("object"));
    // The decoder's MISSING_FIELD checks (events.md, "Envelope").
    root.Set("required", StrArray({"event_id", "person_key", "municipality_code", "occurred_at",
                                   "recorded_at"}));
    Json props = Json::Obj();
    Json one_of = Json::Arr();
    for (int i = 0; i < event->field_count(); ++i) {
      const FieldDescriptor* f = event->field(i);
      Json p = FieldSchema(*f);
      if (f->name() == "event_id") {
        p.Set("minLength", Json::Raw("1"));
      } else if (f->name() == "person_key") {
        // 1-128 printable ASCII; that a CPR-shaped key is refused (CPR_AS_KEY) is a policy the
        // deployment may switch off, so it is not part of the schema.
        p.Set("pattern", Json::Str("^[\\x20-\\x7e]{1,128}$"));
      } else if (f->name() == "municipality_code") {
        p.Set("pattern", Json::Str("^[0-9]{3}$"));
      }
      props.Set(f->name(), std::move(p));
      if (f->containing_oneof() != nullptr) {
        one_of.Add(Json::Obj().Set("required", StrArray({f->name()})));
      }
    }
    root.Set("properties", std::move(props));
    // Exactly one payload: two payloads match two branches and fail.
    root.Set("oneOf", std::move(one_of));
    Json defs = Json::Obj();
    defs.Set("Timestamp", Json::Obj()
                              .Set("type", Json::Str("string"))
                              .Set("format", Json::Str("date-time"))
                              .Set("pattern", Json::Str(kTimestampPattern)));
    for (auto& [name, schema] : defs_) defs.Set(name, std::move(schema));
    root.Set("$defs", std::move(defs));
    return root;
  }

 private:
  Json Ref(const std::string& name) { return Json::Obj().Set("$ref", Json::Str("#/$defs/" + name)); }

  Json ScalarSchema(const FieldDescriptor& f) {
    switch (f.type()) {
      case FieldDescriptor::TYPE_BOOL:
        return Json::Obj().Set("type", Json::Str("boolean"));
      case FieldDescriptor::TYPE_INT32:
        return Json::Obj()
            .Set("type", Json::Str("integer"))
            .Set("minimum", Json::Raw("-2147483648"))
            .Set("maximum", Json::Raw("2147483647"));
      case FieldDescriptor::TYPE_STRING:
        return Json::Obj().Set("type", Json::Str("string"));
      case FieldDescriptor::TYPE_ENUM:
        return Ref(EnumDef(*f.enum_type()));
      case FieldDescriptor::TYPE_MESSAGE:
        if (f.message_type()->full_name() == "google.protobuf.Timestamp") return Ref("Timestamp");
        return Ref(MessageDef(*f.message_type()));
      default:
        std::cerr << "case_event_schema: no mapping for field " << f.full_name() << "\n";
        std::exit(1);
    }
  }

  Json FieldSchema(const FieldDescriptor& f) {
    Json item = ScalarSchema(f);
    if (!f.is_repeated()) return item;
    return Json::Obj().Set("type", Json::Str("array")).Set("items", std::move(item));
  }

  std::string EnumDef(const EnumDescriptor& e) {
    if (!seen_.insert(e.full_name()).second) return e.name();
    std::vector<std::string> names;
    for (int i = 0; i < e.value_count(); ++i) names.push_back(e.value(i)->name());
    defs_.emplace(e.name(), Json::Obj().Set("type", Json::Str("string")).Set("enum", StrArray(names)));
    return e.name();
  }

  std::string MessageDef(const Descriptor& d) {
    if (!seen_.insert(d.full_name()).second) return d.name();
    Json props = Json::Obj();
    for (int i = 0; i < d.field_count(); ++i) props.Set(d.field(i)->name(), FieldSchema(*d.field(i)));
    // Unknown fields are ignored by the decoder (forward compatibility), so they are allowed.
    defs_.emplace(d.name(), Json::Obj().Set("type", Json::Str("object")).Set("properties", std::move(props)));
    return d.name();
  }

  std::set<std::string> seen_;
  std::map<std::string, Json> defs_;  // sorted by name: stable output
};

}  // namespace

int main(int argc, char** argv) {
  std::ostringstream schema;
  SchemaBuilder().Build().Print(schema, 0);
  schema << "\n";
  if (argc == 3 && std::string(argv[1]) == "--check") {
    std::ifstream in(argv[2]);
    std::stringstream checked_in;
    checked_in << in.rdbuf();
    if (!in || checked_in.str() != schema.str()) {
      std::cerr << "case_event_schema: " << argv[2]
                << " differs from proto/case_event.proto; regenerate it:\n  "
                   "build/tools/case_event_schema > docs/case_event.schema.json\n";
      return 1;
    }
    return 0;
  }
  if (argc != 1) {
    std::cerr << "usage: case_event_schema [--check FILE]\n";
    return 2;
  }
  std::cout << schema.str();
  return std::cout ? 0 : 1;
}
