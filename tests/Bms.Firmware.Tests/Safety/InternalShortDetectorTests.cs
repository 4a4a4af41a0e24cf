using System;
using System.Linq;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;
using Xunit.Abstractions;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// Internal-short screening against synthetic traces from <see cref="RestingPackModel"/>: 30 min of 1C
    /// discharge (cells warm from 25 to 35 °C), then a long rest while the pack cools back and relaxes.
    /// </summary>
    public class InternalShortDetectorTests
    {
        private const int Cells = 8;
        private const long DischargeSeconds = 30 * 60;
        private readonly ITestOutputHelper _output;

        public InternalShortDetectorTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private sealed class Run
        {
            public RecordingSink Sink = new RecordingSink();
            public InternalShortDetector Detector = null!;
            public long RestStart_ms;
            public int[] MaxLeak_uA = new int[Cells];
        }

        private static Run Simulate(int seed, int leakyCell, double leak_mA, double restHours, Func<long, double>? restCurrent_mA = null)
        {
            var run = new Run();
            var model = new RestingPackModel(Cells, seed);
            if (leakyCell >= 0) { model.Leak_mA[leakyCell] = leak_mA; }
            run.Detector = new InternalShortDetector(new InternalShortConfig(), Cells, run.Sink);
            for (int i = 0; i < Cells; i++) { run.MaxLeak_uA[i] = int.MinValue; }
            long total = DischargeSeconds + (long)(restHours * 3600);
            for (long second = 0; second < total; second++)
            {
                bool discharging = second < DischargeSeconds;
                double restSeconds = second - DischargeSeconds;
                model.Temperature_C = discharging ? 25 + 10.0 * second / DischargeSeconds : 25 + 10 * Math.Exp(-restSeconds / 1800.0);
                double current = discharging ? -3000 : restCurrent_mA?.Invoke((long)restSeconds) ?? 0;
                model.Step(current);
                if (second == DischargeSeconds) { run.RestStart_ms = model.Time_ms; }
                run.Detector.Update1s(model.Snapshot, RestingPackModel.OcvSlope_uV_per_pct(model.MeanSoc));
                for (int i = 0; i < Cells; i++)
                {
                    if (run.Detector.IsLeakageValid(i)) { run.MaxLeak_uA[i] = Math.Max(run.MaxLeak_uA[i], run.Detector.GetLeakage_uA(i)); }
                }
            }
            return run;
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        public void Healthy_pack_with_2_percent_spread_is_not_flagged_over_a_long_rest(int seed)
        {
            var run = Simulate(seed, leakyCell: -1, leak_mA: 0, restHours: 4);
            _output.WriteLine($"seed {seed}: largest leak estimate {run.MaxLeak_uA.Max() / 1000.0:F2} mA");
            Assert.Empty(run.Sink.Events);
            Assert.All(run.MaxLeak_uA, v => Assert.NotEqual(int.MinValue, v)); // estimates were made
            Assert.True(run.MaxLeak_uA.Max() < 5000, $"healthy estimate {run.MaxLeak_uA.Max()} µA");
        }

        [Theory]
        [InlineData(1, 10)]
        [InlineData(2, 10)]
        [InlineData(3, 10)]
        [InlineData(4, 15)]
        [InlineData(5, 20)]
        public void Leaking_cell_is_flagged_within_two_hours_of_rest(int seed, int leak_mA)
        {
            const int leaky = 3;
            var run = Simulate(seed, leaky, leak_mA, restHours: 2);
            var flag = Assert.Single(run.Sink.Raised(BmsEventCode.InternalShort));
            Assert.Equal(leaky, flag.Cell);
            Assert.Equal(ProtectionLevel.Warning, flag.Level);
            long afterRest = flag.Time_ms - run.RestStart_ms;
            _output.WriteLine($"seed {seed}, {leak_mA} mA: flagged {afterRest / 60000.0:F1} min after rest began; estimate {run.Detector.GetLeakage_uA(leaky) / 1000.0:F2} mA");
            Assert.True(afterRest <= 2 * 3600 * 1000, $"flagged {afterRest} ms after rest");
            Assert.True(run.Detector.IsFlagged(leaky));
            Assert.InRange(run.Detector.GetLeakage_uA(leaky), leak_mA * 1000 * 7 / 10, leak_mA * 1000 * 13 / 10);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Five_milliamp_leak_is_below_the_threshold(int seed)
        {
            var run = Simulate(seed, leakyCell: 5, leak_mA: 5, restHours: 3);
            _output.WriteLine($"seed {seed}: 5 mA cell estimated at most {run.MaxLeak_uA[5] / 1000.0:F2} mA");
            Assert.Empty(run.Sink.Events);
            Assert.InRange(run.MaxLeak_uA[5], 3000, 7499);
        }

        [Fact]
        public void Load_during_rest_restarts_the_observation()
        {
            // A 20 mA leak, but the pack is loaded for a minute every 50 minutes: never 70 quiet minutes in a row.
            var run = Simulate(1, 3, 20, restHours: 3, restCurrent_mA: rest => rest > 0 && rest % 3000 < 60 ? -3000 : 0);
            Assert.Empty(run.Sink.Events);
        }

        [Fact]
        public void Balancing_interrupts_the_rest_like_load()
        {
            // 20 mA leak, but the system reports balancing for a minute every 50 minutes.
            var sink = new RecordingSink();
            var detector = new InternalShortDetector(new InternalShortConfig(), Cells, sink);
            var model = new RestingPackModel(Cells, 1);
            model.Leak_mA[3] = 20;
            for (long second = 0; second < 3 * 3600; second++)
            {
                model.Step(0);
                if (second % 3000 < 60) { detector.Interrupt(); }
                else { detector.Update1s(model.Snapshot, RestingPackModel.OcvSlope_uV_per_pct(model.MeanSoc)); }
            }
            Assert.Empty(sink.Events);
        }

        [Fact]
        public void Flat_ocv_region_suspends_the_estimate()
        {
            var sink = new RecordingSink();
            var detector = new InternalShortDetector(new InternalShortConfig(), Cells, sink);
            var model = new RestingPackModel(Cells, 1);
            model.Leak_mA[2] = 50;
            for (int second = 0; second < 4 * 3600; second++)
            {
                model.Step(0);
                detector.Update1s(model.Snapshot, 300); // an LFP plateau: 0.3 mV per %
            }
            Assert.Empty(sink.Events);
            Assert.False(detector.IsLeakageValid(2));
        }

        [Fact]
        public void Reset_clears_the_latched_flag_and_reports_it()
        {
            var run = Simulate(2, 1, 20, restHours: 2);
            Assert.True(run.Detector.IsFlagged(1));
            run.Detector.Reset(123);
            Assert.False(run.Detector.IsFlagged(1));
            Assert.Contains(run.Sink.Events, e => e.Code == BmsEventCode.InternalShort && !e.Active && e.Cell == 1 && e.Time_ms == 123);
        }

        [Fact]
        public void Steady_state_update_allocates_nothing()
        {
            var detector = new InternalShortDetector(new InternalShortConfig { RelaxationTime_ms = 0 }, 16, new RecordingSink());
            var s = new Bms.Firmware.Measurement.MeasurementSnapshot(16, 1);
            var random = new Random(3);
            void Fill(long t)
            {
                s.Time_ms = t;
                for (int i = 0; i < 16; i++) { s.CellVoltage_mV[i] = 3700 + random.Next(-1, 2); s.CellValid[i] = true; }
                s.CurrentValid = true;
            }
            long time = 0;
            for (; time < 3_600_000; time += 1000) { Fill(time); detector.Update1s(s, 9000); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (; time < 10_800_000; time += 1000) { Fill(time); detector.Update1s(s, 9000); }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        [Fact]
        public void Bad_configuration_is_refused()
        {
            var ex = Assert.Throws<ArgumentException>(() => new InternalShortDetector(new InternalShortConfig { MaxFitWindow_min = 10 }, 4, new RecordingSink()));
            Assert.Contains("MaxFitWindow_min", ex.Message);
        }
    }
}
