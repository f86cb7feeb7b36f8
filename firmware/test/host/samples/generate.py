#!/usr/bin/env python3
"""Writes the ADC sample sequences the sensor tests read.

These are synthetic: an ACS712-20A (100 mV/A) behind a 10k/20k divider (ratio 1.5) into an
ESP32 pin, sampled at 5 kHz for 200 ms (ten 50 Hz cycles), with Gaussian noise of 3 mV at
the pin and rounding to whole millivolts as analogReadMilliVolts returns them. No bench
capture was available when they were made; a real capture in the same format (a header
line, then one pin-millivolt integer per line) can be dropped in beside them.

Run from this directory: python3 generate.py
"""
import math
import random

RATE_HZ = 5000
SAMPLES = 1000
MV_PER_A = 100.0
DIVIDER = 1.5
OFFSET_PIN_MV = 2500.0 / DIVIDER
NOISE_PIN_MV = 3.0


def write(name, seed, current_at, expect_a, tolerance_a, note):
    rng = random.Random(seed)
    lines = [
        f"# {note}",
        f"# sample_rate_hz={RATE_HZ} offset_pin_mv={OFFSET_PIN_MV:.1f} mv_per_a={MV_PER_A} "
        f"divider={DIVIDER} expect_current_a={expect_a:.4f} tolerance_a={tolerance_a}",
    ]
    for n in range(SAMPLES):
        t = n / RATE_HZ
        amps = current_at(t)
        pin_mv = OFFSET_PIN_MV + amps * MV_PER_A / DIVIDER + rng.gauss(0.0, NOISE_PIN_MV)
        lines.append(str(int(round(pin_mv))))
    with open(name, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


def sine(rms, hz=50.0, phase=0.0):
    return lambda t: rms * math.sqrt(2) * math.sin(2 * math.pi * hz * t + phase)


noise_a = NOISE_PIN_MV * DIVIDER / MV_PER_A
write("no-load.csv", 1, lambda t: 0.0, 0.0, 0.0, "relay open, no current: noise only, must read zero")
write("kettle-2kw.csv", 2, sine(2000 / 230), math.hypot(2000 / 230, noise_a), 0.05, "2 kW resistive load at 230 V")
write(
    "half-wave-dryer.csv",
    3,
    lambda t: max(0.0, 6.0 * math.sin(2 * math.pi * 50 * t)),
    math.hypot(3.0, noise_a),
    0.05,
    "hair dryer on 'low' (diode, half-wave, 6 A peak): true RMS 3 A including its DC part",
)
write(
    "motor-harmonics-60hz.csv",
    4,
    lambda t: sine(1.0, 60.0)(t) + sine(0.4, 180.0, 0.7)(t),
    math.hypot(math.hypot(1.0, 0.4), noise_a),
    0.03,
    "60 Hz supply, motor with a third harmonic: RMS sqrt(1^2 + 0.4^2) A",
)
write(
    "led-lights.csv",
    5,
    sine(0.1),
    math.hypot(0.1, noise_a),
    0.01,
    "23 W of LED lights, just above the noise floor; noise adds in quadrature",
)
