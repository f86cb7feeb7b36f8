// Stand-in for Arduino's Client.h: declarations only.
#pragma once

#include <Arduino.h>

class Client : public Stream {
 public:
  virtual int connect(const char* host, uint16_t port) = 0;
  virtual int connected() = 0;
  virtual void stop() = 0;
};
