using System;
using System.Linq;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;
using Xunit.Abstractions;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>Precursor warnings come minutes before confirmation and stay quiet on healthy packs.</summary>
    public class PrecursorTests
    {
        private readonly ITestOutputHelper _output;

        public PrecursorTests(ITestOutputHelper output)
        {
            _output = output;
        }

        [Fact]
        public void Self_heating_onset_raises_a_precursor_minutes_before_runaway_is_confirmed()
        {
            // Sensor 1 sits on a cell that starts self-heating at 120 s: an Arrhenius-like exponential rise
            // (0.1 °C/min at onset, e-folding every 2 min); its neighbours see a fifth of it, the far one 5 %.
            var p = new PackScenario(cells: 4, sensors: 4, seed: 11) { TemperatureNoise_dC = 1, VoltageNoise_mV = 1 };
            const double tau_s = 120, amplitude_C = 0.2;
            const long onset = 120000;
            p.RunUntil(40 * 60 * 1000, before: t =>
            {
                double rise = t < onset ? 0 : amplitude_C * (Math.Exp((t - onset) / 1000.0 / tau_s) - 1);
                p.Temperature_C[1] = 25 + rise;
                p.Temperature_C[0] = 25 + 0.2 * rise;
                p.Temperature_C[2] = 25 + 0.2 * rise;
                p.Temperature_C[3] = 25 + 0.05 * rise;
            }, stop: () => p.Guard.RunawayConfirmed);

            Assert.True(p.Guard.RunawayConfirmed);
            var precursor = p.Sink.First(BmsEventCode.ThermalRunawayPrecursor);
            Assert.NotNull(precursor);
            Assert.Equal(1, precursor!.Cell);
            Assert.Equal(ProtectionLevel.Warning, precursor.Level);
            long lead = p.Guard.RunawayTime_ms - precursor.Time_ms;
            _output.WriteLine($"precursor at {precursor.Time_ms / 1000.0:F1} s, runaway at {p.Guard.RunawayTime_ms / 1000.0:F1} s: {lead / 60000.0:F1} min earlier");
            Assert.True(lead >= 3 * 60 * 1000, $"precursor only {lead} ms before runaway");
            Assert.All(p.Sink.Raised(BmsEventCode.ThermalRunawayPrecursor), e => Assert.Equal(1, e.Cell));
            Assert.Empty(p.Sink.Raised(BmsEventCode.SensorFault));
        }

        [Fact]
        public void Cell_sagging_at_rest_raises_a_precursor()
        {
            var p = new PackScenario(cells: 6, sensors: 2, seed: 5) { VoltageNoise_mV = 1, TemperatureNoise_dC = 1 };
            const long sagStart = 150000;
            p.RunUntil(6 * 60 * 1000, before: t =>
            {
                p.Current_mA = 20; // balancing-level current: rest
                p.CellVoltage_mV[4] = t < sagStart ? 3700 : 3700 - 0.5 * (t - sagStart) / 1000.0;
            });
            var precursor = p.Sink.First(BmsEventCode.ThermalRunawayPrecursor);
            Assert.NotNull(precursor);
            Assert.Equal(4, precursor!.Cell);
            Assert.True(p.Guard.IsVoltageSagPrecursorActive(4));
            _output.WriteLine($"0.5 mV/s sag from {sagStart} ms flagged at {precursor.Time_ms} ms");
            Assert.InRange(precursor.Time_ms, sagStart, sagStart + 60000);
            Assert.Single(p.Sink.Raised(BmsEventCode.ThermalRunawayPrecursor));
        }

        [Fact]
        public void Same_sag_under_load_is_not_a_rest_precursor()
        {
            var p = new PackScenario(cells: 6, sensors: 2, seed: 5) { VoltageNoise_mV = 1 };
            p.RunUntil(6 * 60 * 1000, before: t =>
            {
                p.Current_mA = -6000;
                p.CellVoltage_mV[4] = t < 150000 ? 3700 : 3700 - 0.5 * (t - 150000) / 1000.0;
            });
            Assert.Empty(p.Sink.Events);
        }

        [Fact]
        public void Healthy_pack_at_rest_with_noise_raises_nothing_for_an_hour()
        {
            var p = new PackScenario(cells: 8, sensors: 4, seed: 9) { VoltageNoise_mV = 1, TemperatureNoise_dC = 2 };
            p.RunUntil(60 * 60 * 1000, before: t =>
            {
                // Slow ambient drift common to all, different per sensor by ±20 %.
                for (int j = 0; j < 4; j++) { p.Temperature_C[j] = 25 + (0.8 + 0.1 * j) * 3 * Math.Sin(t / 1800000.0); }
                for (int i = 0; i < 8; i++) { p.CellVoltage_mV[i] = 3650 + 3 * i - 0.0005 * t / 1000.0; }
            });
            Assert.Empty(p.Sink.Events);
        }

        [Fact]
        public void Sensor_cooling_slower_than_its_neighbours_is_not_self_heating()
        {
            // After a drive the pack cools; one well-insulated sensor cools at a third of the others' rate.
            var p = new PackScenario(cells: 4, sensors: 4, seed: 2) { TemperatureNoise_dC = 1 };
            p.RunUntil(30 * 60 * 1000, before: t =>
            {
                double minutes = t / 60000.0;
                for (int j = 0; j < 4; j++) { p.Temperature_C[j] = 25 + 20 * Math.Exp(-minutes / (j == 2 ? 30.0 : 10.0)); }
            });
            Assert.Empty(p.Sink.Events);
        }

        [Fact]
        public void Steady_state_tick_allocates_nothing()
        {
            var guard = new ThermalRunawayGuard(new ThermalRunawayConfig(), 16, 8, new RecordingSink());
            var s = new Bms.Firmware.Measurement.MeasurementSnapshot(16, 8);
            var random = new Random(1);
            void Fill(long t)
            {
                s.Time_ms = t;
                for (int i = 0; i < 16; i++) { s.CellVoltage_mV[i] = 3700 + random.Next(-1, 2); s.CellValid[i] = true; }
                for (int j = 0; j < 8; j++) { s.Temperature_dC[j] = 250 + random.Next(-2, 3); s.TemperatureValid[j] = true; }
                s.Current_mA = -1000;
                s.CurrentValid = true;
            }
            long time = 0;
            for (; time < 200000; time += 100) { Fill(time); guard.Update100ms(s); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (; time < 500000; time += 100) { Fill(time); guard.Update100ms(s); }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
        }
    }
}
