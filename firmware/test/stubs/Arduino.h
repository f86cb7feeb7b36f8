// Stand-in for arduino-esp32's Arduino.h (2.0.x): declarations only, real signatures.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x01
#define OUTPUT 0x03

typedef bool boolean;
typedef uint8_t byte;

typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db, ADC_ATTENDB_MAX } adc_attenuation_t;

void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
unsigned long millis();
unsigned long micros();
void delay(uint32_t ms);
uint32_t analogReadMilliVolts(uint8_t pin);
void analogReadResolution(uint8_t bits);
void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t attenuation);
uint32_t esp_random(void);
void configTime(long gmtOffset_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr,
                const char* server3 = nullptr);

class String {
 public:
  String(const char* cstr = "");
  const char* c_str() const;
  unsigned int length() const;
};

class Print {
 public:
  virtual ~Print() = default;
  size_t print(const char str[]);
  size_t println(const char str[]);
  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3)));
};

class Stream : public Print {
 public:
  virtual int available() = 0;
  virtual int read() = 0;
};

class HardwareSerial : public Stream {
 public:
  void begin(unsigned long baud);
  int available() override;
  int read() override;
};

extern HardwareSerial Serial;

class EspClass {
 public:
  void restart();
  uint64_t getEfuseMac();
};

extern EspClass ESP;
