// Stand-in for 256dpi/arduino-mqtt's MQTTClient.h (2.5.x): declarations only, real signatures.
#pragma once

#include <Arduino.h>
#include <Client.h>

#include <functional>

typedef enum {
  LWMQTT_SUCCESS = 0,
  LWMQTT_BUFFER_TOO_SHORT = -1,
  LWMQTT_NETWORK_FAILED_CONNECT = -3,
  LWMQTT_CONNECTION_DENIED = -10
} lwmqtt_err_t;

typedef enum {
  LWMQTT_CONNECTION_ACCEPTED = 0,
  LWMQTT_UNACCEPTABLE_PROTOCOL = 1,
  LWMQTT_IDENTIFIER_REJECTED = 2,
  LWMQTT_SERVER_UNAVAILABLE = 3,
  LWMQTT_BAD_USERNAME_OR_PASSWORD = 4,
  LWMQTT_NOT_AUTHORIZED = 5,
  LWMQTT_UNKNOWN_RETURN_CODE = 6
} lwmqtt_return_code_t;

class MQTTClient;

typedef void (*MQTTClientCallbackAdvanced)(MQTTClient* client, char topic[], char bytes[], int length);
typedef std::function<void(MQTTClient* client, char topic[], char bytes[], int length)>
    MQTTClientCallbackAdvancedFunction;

class MQTTClient {
 public:
  explicit MQTTClient(int bufSize = 128);
  void begin(const char hostname[], int port, Client& client);
  void onMessageAdvanced(MQTTClientCallbackAdvanced cb);
  void onMessageAdvanced(MQTTClientCallbackAdvancedFunction cb);
  void setWill(const char topic[], const char payload[], bool retained, int qos);
  bool connect(const char clientId[], const char username[], const char password[], bool skip = false);
  bool publish(const char topic[], const char payload[], int length, bool retained, int qos);
  bool subscribe(const char topic[], int qos);
  bool loop();
  bool connected();
  lwmqtt_err_t lastError();
  lwmqtt_return_code_t returnCode();
};
