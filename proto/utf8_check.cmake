# Run after protoc on a generated .pb.cc (proto/CMakeLists.txt): its proto3 UTF-8 checks call
# proto/utf8_check.h instead of protobuf's functions (the same answers, faster; see there).
file(READ "${PB_CC}" text)
set(insertion "// @@protoc_insertion_point(includes)")
string(FIND "${text}" "${insertion}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${PB_CC}: no '${insertion}' (a protoc whose output utf8_check.cmake does not know)")
endif()
string(REPLACE "${insertion}" "#include \"proto/utf8_check.h\"\n${insertion}" text "${text}")
string(REPLACE "::PROTOBUF_NAMESPACE_ID::internal::WireFormatLite::VerifyUtf8String("
               "::fristvagt::proto_utf8::VerifyUtf8String(" text "${text}")
string(REPLACE "::_pbi::VerifyUTF8(" "::fristvagt::proto_utf8::VerifyUTF8(" text "${text}")
file(WRITE "${PB_CC}" "${text}")
