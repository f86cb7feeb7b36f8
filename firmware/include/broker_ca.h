// The CA certificate that signed the broker's TLS certificate (PEM), shared by the whole
// fleet. Paste the operator's CA here before building a TLS image. Left empty, a meter
// configured for TLS refuses to connect rather than connect unverified.
#pragma once

static const char kBrokerCaPem[] = "";
