// Stand-in for arduino-esp32's WiFiClient.h: declarations only.
#pragma once

#include <Client.h>

class WiFiClient : public Client {
 public:
  int connect(const char* host, uint16_t port) override;
  int connected() override;
  void stop() override;
  int available() override;
  int read() override;
};
