// Stand-in for 256dpi/arduino-mqtt's MQTT.h.
#pragma once

#include <MQTTClient.h>
