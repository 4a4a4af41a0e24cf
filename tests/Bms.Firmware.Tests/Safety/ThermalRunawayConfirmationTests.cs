using System;
using System.Linq;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;
using Xunit.Abstractions;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>GB 38031-2025 C.5.3.7: runaway = (a or b) and c, raised in the tick the combination becomes true.</summary>
    public class ThermalRunawayConfirmationTests
    {
        private readonly ITestOutputHelper _output;

        public ThermalRunawayConfirmationTests(ITestOutputHelper output)
        {
            _output = output;
        }

        [Fact]
        public void Confirmed_in_the_tick_the_maximum_temperature_is_reached_while_the_rate_condition_holds()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            const long t0 = 20000;
            long firstTickAtMax = -1;
            bool rateMetBefore = false;
            p.RunUntil(60000, before: t =>
            {
                if (t >= t0) { p.Temperature_C[1] = 25 + 2.0 * (t - t0) / 1000.0; }
                rateMetBefore = p.Guard.RateConditionMet;
            }, stop: () =>
            {
                if (firstTickAtMax < 0 && p.Snapshot.Temperature_dC[1] >= p.Config.MaxOperatingTemperature_dC)
                {
                    firstTickAtMax = p.Snapshot.Time_ms;
                }
                return p.Guard.RunawayConfirmed;
            });

            Assert.True(p.Guard.RunawayConfirmed);
            Assert.True(rateMetBefore, "condition (c) held before (b) became true");
            Assert.Equal(firstTickAtMax, p.Guard.RunawayTime_ms);
            var events = p.Sink.Raised(BmsEventCode.ThermalRunaway).ToList();
            Assert.Single(events);
            Assert.Equal(firstTickAtMax, events[0].Time_ms);
            Assert.Equal(ProtectionLevel.Fault, events[0].Level);
            Assert.Equal(1, events[0].Cell);
            _output.WriteLine($"(b) reached at {firstTickAtMax} ms, runaway event at {events[0].Time_ms} ms");
        }

        [Fact]
        public void Confirmed_in_the_tick_a_cell_voltage_drops_more_than_25_percent_not_at_24()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            const long t0 = 20000;
            // Rate condition from a 1.5 °C/s rise that stays below the 60 °C maximum for the whole test.
            p.RunUntil(t0 + 15000, before: t =>
            {
                if (t >= t0) { p.Temperature_C[0] = 25 + 1.5 * (t - t0) / 1000.0; }
                if (t >= t0 + 10000) { p.CellVoltage_mV[2] = 2800; } // 24.3 % below 3700: not (a)
            });
            Assert.True(p.Guard.RateConditionMet);
            Assert.False(p.Guard.MaxTemperatureReached);
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunaway));

            p.CellVoltage_mV[2] = 2770; // 25.1 % below its reference
            long collapseTick = p.Now_ms;
            p.Temperature_C[0] = 25 + 1.5 * (collapseTick - t0) / 1000.0;
            p.Tick();

            Assert.True(p.Guard.RunawayConfirmed);
            Assert.Equal(collapseTick, p.Guard.RunawayTime_ms);
            Assert.Equal(2, p.Guard.RunawayCell);
            Assert.Single(p.Sink.Raised(BmsEventCode.ThermalRunaway));
        }

        [Theory]
        [InlineData(2)]
        [InlineData(5)]
        [InlineData(20)]
        public void Rate_must_hold_more_than_3_seconds_and_confirmation_follows_within_one_window(int rate_C_per_s)
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.Temperature_C[0] = 70; // above the 60 °C maximum from the start: (b) true
            const long t0 = 20000;
            p.RunUntil(t0 + 10000, before: t =>
            {
                if (t >= t0) { p.Temperature_C[0] = 70 + rate_C_per_s * (t - t0) / 1000.0; }
            }, stop: () => p.Guard.RunawayConfirmed);

            Assert.True(p.Guard.RunawayConfirmed);
            long latency = p.Guard.RunawayTime_ms - t0;
            _output.WriteLine($"{rate_C_per_s} °C/s from {t0} ms: confirmed {latency} ms after onset");
            Assert.True(latency > p.Config.RunawayRateDuration_ms, $"not before 3 s of dT/dt (latency {latency} ms)");
            // The fitted rate needs at most one window (1 s) to see the rise, then 3 s plus one tick.
            Assert.True(latency <= 3000 + 1000 + 100, $"latency {latency} ms");
            Assert.Empty(p.Sink.Raised(BmsEventCode.SensorFault));
        }

        [Fact]
        public void Heavy_discharge_to_cut_off_is_not_a_voltage_collapse()
        {
            // Rest at 4.1 V, then a cold 4C load: a 12 % IR step and a decline to 2.9 V under load in 10 minutes,
            // 29 % below the rest voltage. All cells move together: condition (a) must never be met.
            var p = new PackScenario(cells: 4, sensors: 2) { VoltageNoise_mV = 1 };
            bool collapsed = false;
            p.RunUntil(11 * 60 * 1000, before: t =>
            {
                bool loaded = t >= 30000;
                p.Current_mA = loaded ? -12000 : 0;
                for (int i = 0; i < 4; i++)
                {
                    p.CellVoltage_mV[i] = loaded ? 3600 - 700.0 * (t - 30000) / 600000 - 4 * i : 4100 - 4 * i;
                }
            }, stop: () => { collapsed |= p.Guard.AnyCellVoltageCollapsed; return false; });
            Assert.False(collapsed);
        }

        [Fact]
        public void One_cell_collapsing_slowly_against_the_pack_keeps_its_reference()
        {
            // A cell losing 30 % over two minutes while its neighbours hold: the reference must not follow it down.
            var p = new PackScenario(cells: 4, sensors: 2);
            p.RunUntil(200000, before: t =>
            {
                p.CellVoltage_mV[1] = t < 60000 ? 3700 : Math.Max(3700 * 0.70, 3700 - 3700 * 0.30 * (t - 60000) / 120000.0);
            });
            Assert.True(p.Guard.IsCellVoltageCollapsed(1));
            Assert.False(p.Guard.IsCellVoltageCollapsed(0));
        }

        [Fact]
        public void Fast_rise_alone_is_not_runaway()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            const long t0 = 10000;
            bool rateMet = false;
            p.RunUntil(60000, before: t =>
            {
                if (t >= t0) { p.Temperature_C[2] = Math.Min(55, 25 + 1.5 * (t - t0) / 1000.0); }
            }, stop: () => { rateMet |= p.Guard.RateConditionMet; return false; });

            Assert.True(rateMet, "(c) was met");
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunaway));
        }

        [Fact]
        public void Benign_4C_discharge_heating_past_the_maximum_temperature_raises_nothing_but_b()
        {
            // 12 A (4C of a 3 Ah cell) for 12 minutes: cells heat 0.04..0.06 °C/s from 25 °C past 60 °C,
            // voltages sag under load; ±0.2 °C and ±1 mV noise.
            var p = new PackScenario(cells: 4, sensors: 4, seed: 7) { TemperatureNoise_dC = 2, VoltageNoise_mV = 1 };
            double[] heating = { 0.04, 0.05, 0.06, 0.05 };
            int maxRate = 0;
            bool bSeen = false;
            p.RunUntil(12 * 60 * 1000, before: t =>
            {
                p.Current_mA = -12000;
                for (int j = 0; j < 4; j++) { p.Temperature_C[j] = 25 + heating[j] * t / 1000.0; }
                for (int i = 0; i < 4; i++) { p.CellVoltage_mV[i] = 4100 - 240 - 0.9 * t / 1000.0 - 5 * i; }
            }, stop: () =>
            {
                for (int j = 0; j < 4; j++) { maxRate = Math.Max(maxRate, Math.Abs(p.Guard.GetTemperatureRate_mdC_per_s(j))); }
                bSeen |= p.Guard.MaxTemperatureReached;
                return false;
            });

            _output.WriteLine($"largest fitted |dT/dt| {maxRate / 10000.0:F2} °C/s");
            Assert.True(bSeen, "the scenario does pass the maximum operating temperature");
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.Empty(p.Sink.Events);
            Assert.True(maxRate < 10000, $"fitted rate {maxRate}");
        }

        [Fact]
        public void Temperature_noise_does_not_fake_1_C_per_s()
        {
            var config = new ThermalRunawayConfig { MaxOperatingTemperature_dC = 250 }; // (b) true all along
            var p = new PackScenario(cells: 4, sensors: 4, config, seed: 3) { TemperatureNoise_dC = 2 };
            for (int j = 0; j < 4; j++) { p.Temperature_C[j] = 30; }
            int maxRate = 0;
            p.RunUntil(10 * 60 * 1000, stop: () =>
            {
                for (int j = 0; j < 4; j++) { maxRate = Math.Max(maxRate, Math.Abs(p.Guard.GetTemperatureRate_mdC_per_s(j))); }
                return false;
            });
            _output.WriteLine($"±0.2 °C noise, 10 min: largest fitted |dT/dt| {maxRate / 10000.0:F2} °C/s");
            Assert.True(p.Guard.MaxTemperatureReached);
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.True(maxRate < 10000);

            // A real rise at half the threshold, with the same noise, is not runaway either.
            long t1 = p.Now_ms;
            p.RunUntil(t1 + 60000, before: t => p.Temperature_C[0] = 30 + 0.5 * (t - t1) / 1000.0);
            Assert.False(p.Guard.RunawayConfirmed);

            // And a real 2 °C/s rise through the same noise is confirmed within 3 s + one window.
            long t2 = p.Now_ms;
            p.RunUntil(t2 + 10000, before: t => p.Temperature_C[1] = 30 + 2.0 * (t - t2) / 1000.0, stop: () => p.Guard.RunawayConfirmed);
            Assert.True(p.Guard.RunawayConfirmed);
            long latency = p.Guard.RunawayTime_ms - t2;
            _output.WriteLine($"2 °C/s through ±0.2 °C noise confirmed {latency} ms after onset");
            Assert.InRange(latency, 3001, 4500);
        }

        [Fact]
        public void Runaway_that_climbs_past_the_short_rail_is_real_heating_not_a_sensor_fault()
        {
            var p = new PackScenario(cells: 4, sensors: 2);
            const long t0 = 5000;
            p.RunUntil(30000, before: t =>
            {
                if (t >= t0) { p.Temperature_C[0] = 25 + 10.0 * (t - t0) / 1000.0; } // 25 → 275 °C
            });
            Assert.True(p.Guard.RunawayConfirmed);
            Assert.Empty(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.True(p.Guard.IsSensorTrusted(0));
        }

        [Fact]
        public void Latched_until_reset_when_safe()
        {
            var p = new PackScenario(cells: 4, sensors: 2);
            p.Temperature_C[0] = 70;
            p.RunUntil(20000, before: t => { if (t >= 5000) { p.Temperature_C[0] = 70 + 3.0 * (t - 5000) / 1000.0; } });
            Assert.True(p.Guard.RunawayConfirmed);
            Assert.False(p.Guard.TryReset(p.Now_ms));

            // Cooled down and steady again: the reset is accepted and the clear is reported once.
            p.RunUntil(p.Now_ms + 30000, before: t => p.Temperature_C[0] = 40);
            Assert.True(p.Guard.RunawayConfirmed, "latched while waiting");
            Assert.True(p.Guard.TryReset(p.Now_ms));
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.Single(p.Sink.Events, e => e.Code == BmsEventCode.ThermalRunaway && !e.Active);
        }

        [Fact]
        public void Bad_configuration_is_refused_with_the_setting_named()
        {
            var config = new ThermalRunawayConfig { CellVoltageDrop_pct = 0 };
            var ex = Assert.Throws<ArgumentException>(() => new ThermalRunawayGuard(config, 4, 2, new RecordingSink()));
            Assert.Contains("CellVoltageDrop_pct", ex.Message);
            Assert.Throws<ArgumentNullException>(() => new ThermalRunawayGuard(new ThermalRunawayConfig(), 4, 2, null!));
        }
    }
}
