// Stand-in for arduino-esp32's WiFiClientSecure.h: declarations only.
#pragma once

#include <WiFiClient.h>

class WiFiClientSecure : public WiFiClient {
 public:
  void setCACert(const char* rootCA);
};
