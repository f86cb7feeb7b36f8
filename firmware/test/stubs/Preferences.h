// Stand-in for arduino-esp32's Preferences.h (2.0.x): declarations only, real signatures.
#pragma once

#include <Arduino.h>

class Preferences {
 public:
  Preferences();
  ~Preferences();
  bool begin(const char* name, bool readOnly = false, const char* partition_label = NULL);
  void end();
  bool isKey(const char* key);
  size_t putULong64(const char* key, uint64_t value);
  uint64_t getULong64(const char* key, uint64_t defaultValue = 0);
  size_t putString(const char* key, const char* value);
  size_t putString(const char* key, String value);
  String getString(const char* key, String defaultValue = String());
};
