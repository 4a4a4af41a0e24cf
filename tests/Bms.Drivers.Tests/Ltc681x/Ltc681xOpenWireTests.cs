using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Ltc681x;

public class Ltc681xOpenWireTests
{
    public static TheoryData<int> WiresOfTwo6811() { var d = new TheoryData<int>(); for (int w = 0; w <= 24; w++) d.Add(w); return d; }

    [Theory]
    [MemberData(nameof(WiresOfTwo6811))]
    public void Finds_each_open_wire_of_a_two_device_chain(int wire)
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 2);
        rig.SpreadPack(wire);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.OpenWire, wire);
        var open = new bool[25];

        Assert.True(rig.Afe.CheckOpenWires(open));

        for (int w = 0; w <= 24; w++) Assert.True(open[w] == (w == wire), $"wire {w} reported {open[w]} with wire {wire} open");
        Assert.True(rig.Scan() || true);
        Assert.NotEqual(0, rig.Readings.Faults & CellMonitorFaults.OpenWire);
    }

    [Theory]
    [InlineData(Ltc681xVariant.Ltc6813, 0)]
    [InlineData(Ltc681xVariant.Ltc6813, 9)]
    [InlineData(Ltc681xVariant.Ltc6813, 17)]
    [InlineData(Ltc681xVariant.Ltc6813, 18)]
    [InlineData(Ltc681xVariant.Ltc6812, 15)]
    [InlineData(Ltc681xVariant.Adbms1818, 1)]
    public void Finds_bottom_inner_and_top_wires_on_larger_variants(Ltc681xVariant variant, int wire)
    {
        var rig = new Ltc681xRig(variant, 1);
        rig.SpreadPack(3);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.OpenWire, wire);
        var open = new bool[rig.Afe.CellCount + 1];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.Equal(new[] { wire }, Enumerable.Range(0, open.Length).Where(w => open[w]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(10)]
    public void Top_wire_of_a_partly_used_device_is_the_last_used_one(int wire)
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 1, cellsPerDevice: new[] { 10 });
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.OpenWire, wire);
        var open = new bool[11];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.Equal(new[] { wire }, Enumerable.Range(0, 11).Where(w => open[w]));
    }

    [Fact]
    public void Healthy_wiring_reports_nothing_and_runs_pull_up_and_pull_down_twice_each()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6813, 2);
        rig.SpreadPack(9);
        Assert.True(rig.Afe.Initialize());
        var open = new bool[37];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.DoesNotContain(true, open);
        Assert.Equal(2, rig.CountOf(0x368));
        Assert.Equal(2, rig.CountOf(0x328));
        Assert.True(rig.Scan());
        Assert.Equal(0, rig.Readings.Faults & CellMonitorFaults.OpenWire);
    }

    [Fact]
    public void Two_open_wires_are_both_found()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 1);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.OpenWire, 0);
        rig.Chain.Inject(EmulatorFault.OpenWire, 7);
        var open = new bool[13];
        Assert.True(rig.Afe.CheckOpenWires(open));
        Assert.Equal(new[] { 0, 7 }, Enumerable.Range(0, 13).Where(w => open[w]));
    }

    [Fact]
    public void Test_that_cannot_read_a_device_says_so()
    {
        var rig = new Ltc681xRig(Ltc681xVariant.Ltc6811, 2);
        Assert.True(rig.Afe.Initialize());
        rig.Chain.Inject(EmulatorFault.DeviceMissing, 1);
        var open = new bool[25];
        Assert.False(rig.Afe.CheckOpenWires(open));
    }
}
