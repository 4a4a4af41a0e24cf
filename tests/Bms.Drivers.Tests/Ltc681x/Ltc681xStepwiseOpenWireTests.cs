using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Ltc681x;

/// <summary>The open-wire check in two halves (each in its own poll) gives the one-shot check's result.</summary>
public class Ltc681xStepwiseOpenWireTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Halves_with_scans_between_them_equal_the_one_shot_check_over_random_open_wires(int seed)
    {
        var rng = new Random(seed);
        var oneShot = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: 0b11);
        var stepwise = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2, gpioMask: 0b11);
        oneShot.SpreadPack(seed);
        stepwise.SpreadPack(seed);
        Assert.True(oneShot.Afe.Initialize());
        Assert.True(stepwise.Afe.Initialize());
        var expected = new bool[37];
        var actual = new bool[37];
        for (int round = 0; round < 30; round++)
        {
            oneShot.Chain.ClearAll();
            stepwise.Chain.ClearAll();
            int fault = rng.Next(0, 4);
            int target = fault == 2 ? rng.Next(0, 2) : rng.Next(0, 37);
            EmulatorFault kind = fault == 2 ? EmulatorFault.CorruptCrc : EmulatorFault.OpenWire;
            if (fault != 3)
            {
                oneShot.Chain.Inject(kind, target);
                stepwise.Chain.Inject(kind, target);
            }
            bool expectedComplete = oneShot.Afe.CheckOpenWires(expected);

            bool firstHalf = stepwise.Afe.BeginOpenWireCheck();
            // A scan (and time) between the halves: the pull-up codes were read already.
            stepwise.Scan(10);
            bool actualComplete = stepwise.Afe.FinishOpenWireCheck(actual) && firstHalf;

            Assert.Equal(expectedComplete, actualComplete);
            Assert.Equal(expected, actual);
            oneShot.Scan();
            stepwise.Scan();
            Assert.Equal(oneShot.Readings.Faults & CellMonitorFaults.OpenWire, stepwise.Readings.Faults & CellMonitorFaults.OpenWire);
        }
    }

    [Fact]
    public void Finish_without_a_first_half_reports_incomplete_and_keeps_the_open_wire_state()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 1);
        rig.SpreadPack(2);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.OpenWire, 5);
        var open = new bool[19];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.True(open[5]);
        long transfers = rig.Afe.Statistics.Transfers;

        Assert.False(rig.Afe.FinishOpenWireCheck(open));
        Assert.Equal(transfers, rig.Afe.Statistics.Transfers);
        Assert.DoesNotContain(true, open);
        rig.Scan();
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.OpenWire);

        // One finish per begin.
        Assert.True(rig.Afe.BeginOpenWireCheck());
        Assert.True(rig.Afe.FinishOpenWireCheck(open));
        Assert.False(rig.Afe.FinishOpenWireCheck(open));
    }

    [Fact]
    public void Each_half_waits_for_two_conversions_only()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2);
        rig.SpreadPack(4);
        Assert.True(rig.Afe.Initialize());
        var open = new bool[37];
        long start = rig.Clock.Now_us;
        rig.Afe.CheckOpenWires(open);
        long whole = rig.Clock.Now_us - start;
        start = rig.Clock.Now_us;
        rig.Afe.BeginOpenWireCheck();
        long first = rig.Clock.Now_us - start;
        start = rig.Clock.Now_us;
        rig.Afe.FinishOpenWireCheck(open);
        long second = rig.Clock.Now_us - start;
        Assert.True(first < whole * 0.6 && second < whole * 0.6, $"halves {first} + {second} us of {whole} us");
    }
}
