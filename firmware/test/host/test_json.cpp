// Protects the meter's JSON reader: it must accept what the server's parseJsonPayload
// accepts and refuse the rest without ever reading out of bounds.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "umeme/json.h"
#include "umeme/limits.h"

using umeme::JsonError;
using umeme::JsonObject;
using umeme::JsonType;
using umeme::parseJsonObject;

namespace {

JsonError parse(const std::string& text) {
  JsonObject object;
  return parseJsonObject(text, object);
}

}  // namespace

TEST_CASE("a flat object is read field by field") {
  JsonObject object;
  REQUIRE(parseJsonObject(R"( {"a": 1.5e2, "b":"x\"y\\z\/", "c":true, "d":null, "e":[1,{"f":2}], "g":{}} )", object) ==
          JsonError::None);
  REQUIRE(object.find("a") != nullptr);
  CHECK(object.find("a")->type == JsonType::Number);
  CHECK(object.find("a")->number == 150.0);
  CHECK(object.find("b")->text == "x\"y\\z/");
  CHECK(object.find("c")->boolean);
  CHECK(object.find("d")->type == JsonType::Null);
  CHECK(object.find("e")->type == JsonType::Array);
  CHECK(object.find("g")->type == JsonType::Object);
  CHECK(object.find("f") == nullptr);  // nested keys are not top-level fields
}

TEST_CASE("the last of duplicated keys wins, as with JSON.parse") {
  JsonObject object;
  REQUIRE(parseJsonObject(R"({"k":1,"k":2})", object) == JsonError::None);
  CHECK(object.size() == 1);
  CHECK(object.find("k")->number == 2.0);
}

TEST_CASE("string escapes decode to UTF-8 and lengths count UTF-16 units like JavaScript") {
  JsonObject object;
  REQUIRE(parseJsonObject(R"({"a":"\u00e9t\u00E9","b":"\ud83d\ude00","c":"😀","d":"\ud800x"})", object) ==
          JsonError::None);
  CHECK(object.find("a")->text == "\xC3\xA9t\xC3\xA9");
  CHECK(object.find("a")->utf16Length == 3);
  CHECK(object.find("b")->text == "\xF0\x9F\x98\x80");
  CHECK(object.find("b")->utf16Length == 2);
  CHECK(object.find("c")->utf16Length == 2);
  CHECK(object.find("d")->utf16Length == 2);  // a lone surrogate is kept, as JSON.parse keeps it
}

TEST_CASE("numbers follow JSON's grammar exactly") {
  CHECK(parse(R"({"n":0})") == JsonError::None);
  CHECK(parse(R"({"n":-0.0e+0})") == JsonError::None);
  CHECK(parse(R"({"n":1E5})") == JsonError::None);
  CHECK(parse(R"({"n":1e400})") == JsonError::None);  // Infinity in JavaScript: the schema refuses it
  CHECK(parse(R"({"n":01})") == JsonError::BadJson);
  CHECK(parse(R"({"n":+1})") == JsonError::BadJson);
  CHECK(parse(R"({"n":.5})") == JsonError::BadJson);
  CHECK(parse(R"({"n":1.})") == JsonError::BadJson);
  CHECK(parse(R"({"n":1e})") == JsonError::BadJson);
  CHECK(parse(R"({"n":-})") == JsonError::BadJson);
  CHECK(parse(R"({"n":NaN})") == JsonError::BadJson);
  CHECK(parse(R"({"n":Infinity})") == JsonError::BadJson);
  CHECK(parse(R"({"n":0x10})") == JsonError::BadJson);
}

TEST_CASE("malformed documents are refused") {
  CHECK(parse("") == JsonError::BadJson);
  CHECK(parse("{") == JsonError::BadJson);
  CHECK(parse(R"({"a":1,})") == JsonError::BadJson);
  CHECK(parse(R"({'a':1})") == JsonError::BadJson);
  CHECK(parse(R"({a:1})") == JsonError::BadJson);
  CHECK(parse(R"({"a" 1})") == JsonError::BadJson);
  CHECK(parse(R"({"a":1} x)") == JsonError::BadJson);
  CHECK(parse(R"({"a":1}{})") == JsonError::BadJson);
  CHECK(parse(R"({"a":tru})") == JsonError::BadJson);
  CHECK(parse(R"({"a":"unterminated})") == JsonError::BadJson);
  CHECK(parse(R"({"a":"bad \x escape"})") == JsonError::BadJson);
  CHECK(parse(R"({"a":"\u12"})") == JsonError::BadJson);
  CHECK(parse("{\"a\":\"raw\ttab\"}") == JsonError::BadJson);
  CHECK(parse("{\"a\":1 /* comment */}") == JsonError::BadJson);
  CHECK(parse("{\"a\":[1,2,]}") == JsonError::BadJson);
  CHECK(parse("{\"a\":1}\n\t ") == JsonError::None);
  CHECK(parse("\v{\"a\":1}") == JsonError::BadJson);  // only JSON's four whitespace characters
}

TEST_CASE("valid JSON that is not an object is refused as not_object") {
  CHECK(parse("[1,2,3]") == JsonError::NotObject);
  CHECK(parse("1") == JsonError::NotObject);
  CHECK(parse("\"text\"") == JsonError::NotObject);
  CHECK(parse("null") == JsonError::NotObject);
}

TEST_CASE("prototype keys are refused at any depth and however they are escaped") {
  CHECK(parse(R"({"__proto__":{}})") == JsonError::BadJson);
  CHECK(parse(R"({"a":{"b":[{"constructor":1}]}})") == JsonError::BadJson);
  CHECK(parse(R"({"prototype":1})") == JsonError::BadJson);
  CHECK(parse(R"({"__pro\u0074o__":1})") == JsonError::BadJson);
  CHECK(parse(R"({"a":"__proto__"})") == JsonError::None);  // a value, not a key
}

TEST_CASE("invalid UTF-8 is refused before parsing") {
  CHECK(parse("{\"a\":\"\xC0\x80\"}") == JsonError::BadUtf8);          // overlong
  CHECK(parse("{\"a\":\"\xED\xA0\x80\"}") == JsonError::BadUtf8);      // encoded surrogate
  CHECK(parse("{\"a\":\"\xF5\x80\x80\x80\"}") == JsonError::BadUtf8);  // beyond U+10FFFF
  CHECK(parse("{\"a\":\"\xE2\x82\"}") == JsonError::BadUtf8);          // truncated
  CHECK(parse("{\"a\":\"\xE2\x82\xAC\"}") == JsonError::None);         // the euro sign
  CHECK(parse("\xEF\xBB\xBF{\"a\":1}") == JsonError::None);            // TextDecoder drops a BOM
}

TEST_CASE("payloads over the size limit are refused unread") {
  std::string exact = R"({"a":")";
  exact += std::string(umeme::kMaxPayloadBytes - exact.size() - 2, 'x');
  exact += "\"}";
  REQUIRE(exact.size() == umeme::kMaxPayloadBytes);
  CHECK(parse(exact) == JsonError::None);
  exact.insert(6, "x");
  CHECK(parse(exact) == JsonError::Oversized);
}

TEST_CASE("deep nesting and very wide objects are refused as too complex, not crashed on") {
  std::string deep = R"({"a":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}";
  CHECK(parse(deep) == JsonError::TooComplex);

  std::string wide = "{";
  for (std::size_t i = 0; i <= umeme::kMaxJsonFields; ++i) wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  wide += "}";
  CHECK(parse(wide) == JsonError::TooComplex);
}

TEST_CASE("random corruption of a valid command never crashes the reader") {
  const std::string base =
      R"({"balance":5.25,"creditLimit":17.595678,"timestamp":1763800000,"x":[1,{"y":"\u00e9"}]})";
  const uint64_t seed = std::random_device{}();
  INFO("seed = " << seed);
  std::mt19937_64 rng(seed);
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \\u\xC3\xA9tfn";
  for (int i = 0; i < 20000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text.erase(at, 1); break;
        case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: text[at] = alphabet[rng() % alphabet.size()]; break;
      }
    }
    JsonObject object;
    const JsonError error = parseJsonObject(text, object);
    if (error != JsonError::None) CHECK(object.size() == 0);
  }
}
