using System;
using System.Linq;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>Screening with the built-in chemistry profiles' OCV curves and capacities (1C discharge, then rest).</summary>
    public class InternalShortProfileTests
    {
        private readonly ITestOutputHelper _output;

        public InternalShortProfileTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private (RecordingSink sink, InternalShortDetector detector, long restStart, int maxHealthy_uA) Run(string profileName, int seed, int leakyCell, double leak_mA, double restHours, double initialSoc = 0.80)
        {
            const int cells = 8;
            var profile = ChemistryProfiles.FromName(profileName)!;
            var model = new RestingPackModel(cells, seed, profile.NominalCapacity_mAh, initialSoc, profile);
            if (leakyCell >= 0) { model.Leak_mA[leakyCell] = leak_mA; }
            var sink = new RecordingSink();
            var detector = new InternalShortDetector(InternalShortConfig.FromProfile(profile), cells, sink);
            long dischargeSeconds = 30 * 60;
            long restStart = 0;
            int maxHealthy = int.MinValue;
            for (long second = 0; second < dischargeSeconds + (long)(restHours * 3600); second++)
            {
                bool discharging = second < dischargeSeconds;
                model.Temperature_C = discharging ? 25 + 10.0 * second / dischargeSeconds : 25 + 10 * Math.Exp(-(second - dischargeSeconds) / 1800.0);
                model.Step(discharging ? -profile.NominalCapacity_mAh : 0);
                if (second == dischargeSeconds) { restStart = model.Time_ms; }
                detector.Update1s(model.Snapshot, profile, (int)(model.MeanSoc * 100000), (int)(model.Temperature_C * 10));
                for (int i = 0; i < cells; i++)
                {
                    if (i != leakyCell && detector.IsLeakageValid(i)) { maxHealthy = Math.Max(maxHealthy, detector.GetLeakage_uA(i)); }
                }
            }
            return (sink, detector, restStart, maxHealthy);
        }

        [Theory]
        [InlineData("nmc-graphite", 1, 10)]
        [InlineData("nmc-graphite", 2, 10)]
        [InlineData("nmc-graphite", 3, 20)]
        [InlineData("li-metal-ss", 1, 20)]
        [InlineData("li-metal-ss", 2, 20)]
        [InlineData("li-metal-ss", 3, 25)]
        [InlineData("lto", 1, 80)]
        [InlineData("lto", 2, 100)]
        public void Leak_above_the_profile_threshold_is_flagged_within_two_hours_and_healthy_cells_are_not(string profile, int seed, int leak_mA)
        {
            var (sink, detector, restStart, maxHealthy) = Run(profile, seed, leakyCell: 6, leak_mA: leak_mA, restHours: 2);
            var flag = sink.First(BmsEventCode.InternalShort);
            _output.WriteLine($"{profile} seed {seed}, {leak_mA} mA (threshold {InternalShortConfig.FromProfile(ChemistryProfiles.FromName(profile)!).LeakThreshold_mA} mA): flagged {(flag == null ? "never" : ((flag.Time_ms - restStart) / 60000.0).ToString("F1") + " min")} after rest; " +
                $"estimate {detector.GetLeakage_uA(6) / 1000.0:F2} mA; healthy cells at most {maxHealthy / 1000.0:F2} mA");
            Assert.NotNull(flag);
            Assert.Equal(6, flag!.Cell);
            Assert.Single(sink.Raised(BmsEventCode.InternalShort));
            Assert.True(flag.Time_ms - restStart <= 2 * 3600 * 1000);
        }

        [Theory]
        [InlineData("nmc-graphite")]
        [InlineData("li-metal-ss")]
        [InlineData("lto")]
        public void Healthy_pack_of_each_profile_is_not_flagged_in_three_hours(string profile)
        {
            for (int seed = 1; seed <= 3; seed++)
            {
                var (sink, _, _, maxHealthy) = Run(profile, seed, leakyCell: -1, leak_mA: 0, restHours: 3);
                _output.WriteLine($"{profile} seed {seed}: healthy cells at most {maxHealthy / 1000.0:F2} mA");
                Assert.Empty(sink.Events);
            }
        }

        [Fact]
        public void Lfp_plateau_is_not_screened_rather_than_guessed()
        {
            // 100 % → 50 % in 30 min at 1C: the rest sits on the plateau (about 0.6 mV per %).
            var (sink, detector, _, _) = Run("lfp", 1, leakyCell: 6, leak_mA: 10, restHours: 2, initialSoc: 1.0);
            _output.WriteLine($"lfp: leak estimate valid {detector.IsLeakageValid(6)}");
            Assert.Empty(sink.Events);
            Assert.False(detector.IsLeakageValid(6));
        }
    }
}
