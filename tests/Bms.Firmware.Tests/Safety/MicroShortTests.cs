using System;
using System.Linq;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// Lithium-metal soft shorts: a dendrite contact pulls one cell down by some millivolts within a second, then
    /// burns off and the cell recovers over about 30 s. Repeated dips at rest raise InternalShort long before the
    /// average leak is measurable.
    /// </summary>
    public class MicroShortTests
    {
        private readonly ITestOutputHelper _output;

        public MicroShortTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private (RecordingSink sink, InternalShortDetector detector, long restStart) Run(int seed, double dip_mV, int dipCell, int[] dipMinutes, double restHours)
        {
            const int cells = 8;
            var profile = ChemistryProfiles.FromName("li-metal-ss")!;
            var model = new RestingPackModel(cells, seed, profile.NominalCapacity_mAh, 0.8, profile);
            var sink = new RecordingSink();
            var detector = new InternalShortDetector(InternalShortConfig.FromProfile(profile), cells, sink);
            const long dischargeSeconds = 30 * 60;
            long restStart = 0;
            for (long second = 0; second < dischargeSeconds + (long)(restHours * 3600); second++)
            {
                bool discharging = second < dischargeSeconds;
                long rest = second - dischargeSeconds;
                model.Temperature_C = discharging ? 25 + 10.0 * second / dischargeSeconds : 25 + 10 * Math.Exp(-rest / 1800.0);
                double offset = 0;
                foreach (int minute in dipMinutes)
                {
                    double since = rest - minute * 60.0;
                    if (since >= 0) { offset -= dip_mV * Math.Exp(-since / 30.0); }
                }
                if (dipCell >= 0) { model.Offset_mV[dipCell] = offset; }
                model.Step(discharging ? -profile.NominalCapacity_mAh : 0);
                if (second == dischargeSeconds) { restStart = model.Time_ms; }
                detector.Update1s(model.Snapshot, profile, (int)(model.MeanSoc * 100000), 250);
            }
            return (sink, detector, restStart);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Three_soft_short_dips_within_an_hour_flag_the_cell(int seed)
        {
            var (sink, detector, restStart) = Run(seed, dip_mV: 12, dipCell: 2, dipMinutes: new[] { 10, 25, 40 }, restHours: 1);
            var flag = sink.First(BmsEventCode.InternalShort);
            Assert.NotNull(flag);
            Assert.Equal(2, flag!.Cell);
            Assert.Single(sink.Raised(BmsEventCode.InternalShort));
            Assert.Equal(3, detector.GetMicroShortDips(2));
            long minutes = (flag.Time_ms - restStart) / 60000;
            _output.WriteLine($"seed {seed}: flagged {minutes} min after rest (third dip at 40 min)");
            Assert.Equal(40, minutes);
            for (int i = 0; i < 8; i++) { if (i != 2) { Assert.Equal(0, detector.GetMicroShortDips(i)); } }
        }

        [Fact]
        public void Two_dips_in_an_hour_or_shallow_dips_are_not_enough()
        {
            var (sink, _, _) = Run(1, dip_mV: 12, dipCell: 2, dipMinutes: new[] { 10, 80, 150 }, restHours: 3);
            Assert.Empty(sink.Events);
            var (sink2, detector2, _) = Run(1, dip_mV: 2, dipCell: 2, dipMinutes: new[] { 10, 20, 30, 40 }, restHours: 1);
            Assert.Empty(sink2.Events);
            Assert.Equal(0, detector2.GetMicroShortDips(2));
        }

        [Theory]
        [InlineData(4)]
        [InlineData(5)]
        [InlineData(6)]
        public void Healthy_noisy_pack_shows_no_dips(int seed)
        {
            var (sink, detector, _) = Run(seed, dip_mV: 0, dipCell: -1, dipMinutes: Array.Empty<int>(), restHours: 3);
            Assert.Empty(sink.Events);
            for (int i = 0; i < 8; i++) { Assert.Equal(0, detector.GetMicroShortDips(i)); }
        }
    }
}
