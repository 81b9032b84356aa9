// The generated payload accessors (rules/field_access.h) read what protobuf Reflection reads,
// for every field of every CaseEvent payload: the compiled evaluator relies on them instead of
// Reflection, so a wrong cast or a missing field would change obligations silently.
#include "rules/field_access.h"

#include <gtest/gtest.h>

#include <memory>

#include "proto/case_event.pb.h"

namespace fristvagt::rules {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Sets every field of `m` to a value other than its default, through Reflection.
void FillEveryField(Message& m) {
  const auto* r = m.GetReflection();
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int last_enum = f->enum_type() != nullptr ? f->enum_type()->value_count() - 1 : 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        r->SetBool(&m, f, i % 2 == 0);  // alternating, so a swapped pair of bools shows
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        r->SetInt32(&m, f, 37 + i);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (f->is_repeated()) {
          r->AddEnumValue(&m, f, 1);
          r->AddEnumValue(&m, f, last_enum);
        } else {
          r->SetEnumValue(&m, f, last_enum);
        }
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(&m, f, "value-" + f->name());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        r->MutableMessage(&m, f)->GetReflection()->SetInt64(
            r->MutableMessage(&m, f), f->message_type()->FindFieldByName("seconds"), 1700000000 + i);
        break;
      default:
        FAIL() << "type of " << f->full_name() << " not covered by this test";
    }
  }
}

TEST(FieldAccessTest, EveryPayloadFieldReadsWhatReflectionReads) {
  const auto* oneof = v1::CaseEvent::descriptor()->FindOneofByName("payload");
  int checked = 0;
  for (int p = 0; p < oneof->field_count(); ++p) {
    const FieldDescriptor* payload_field = oneof->field(p);
    v1::CaseEvent event;
    Message* m = event.GetReflection()->MutableMessage(&event, payload_field);
    const Message& empty = *m->New();
    FillEveryField(*m);
    const auto* r = m->GetReflection();
    for (int i = 0; i < m->GetDescriptor()->field_count(); ++i) {
      const FieldDescriptor* f = m->GetDescriptor()->field(i);
      SCOPED_TRACE(f->full_name());
      const FieldAccessor* a = FindFieldAccessor(payload_field->number(), f->name());
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->name, f->name());
      EXPECT_EQ(a->repeated, f->is_repeated());
      EXPECT_EQ(a->is_enum, f->enum_type() != nullptr);
      ++checked;
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_BOOL:
          EXPECT_EQ(a->get_int(*m, 0), r->GetBool(*m, f) ? 1 : 0);
          EXPECT_EQ(a->get_int(empty, 0), 0);
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          EXPECT_EQ(a->get_int(*m, 0), r->GetInt32(*m, f));
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          if (f->is_repeated()) {
            ASSERT_EQ(a->size(*m), 2);
            EXPECT_EQ(a->size(empty), 0);
            EXPECT_EQ(a->get_int(*m, 1), r->GetRepeatedEnumValue(*m, f, 1));
          } else {
            EXPECT_EQ(a->get_int(*m, 0), r->GetEnumValue(*m, f));
            EXPECT_NE(a->get_int(*m, 0), 0);
          }
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          EXPECT_EQ(a->get_text(*m, 0), "value-" + f->name());
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          ASSERT_NE(a->get_time(*m), nullptr);
          EXPECT_EQ(a->get_time(*m)->seconds(), 1700000000 + i);
          EXPECT_EQ(a->get_time(empty), nullptr);
          break;
        default:
          break;
      }
    }
    delete &empty;
  }
  EXPECT_GT(checked, 50);
  EXPECT_EQ(FindFieldAccessor(100, "no_such_field"), nullptr);
  EXPECT_EQ(FindFieldAccessor(101, "has_youth_education"), nullptr);  // first_contact's, not 101's
}

}  // namespace
}  // namespace fristvagt::rules
