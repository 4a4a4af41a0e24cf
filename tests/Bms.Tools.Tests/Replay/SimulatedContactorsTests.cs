using Bms.Replay.Engine;
using Bms.Traces;

namespace Bms.Tools.Tests.Replay;

public class SimulatedContactorsTests
{
    [Fact]
    public void Contacts_follow_the_coils_after_their_travel_time()
    {
        var k = new SimulatedContactors(close_ms: 15, open_ms: 5);
        k.Update(0, 16_000);
        k.MainNegativeCoil.Write(true);
        Assert.True(k.MainNegativeCoil.State);
        k.Update(10, 16_000);
        Assert.False(k.MainNegativeFeedback.Read());
        k.Update(15, 16_000);
        Assert.True(k.MainNegativeFeedback.Read());
        k.MainNegativeCoil.Write(false);
        k.Update(19, 16_000);
        Assert.True(k.MainNegativeFeedback.Read());
        k.Update(20, 16_000);
        Assert.False(k.MainNegativeFeedback.Read());
    }

    [Fact]
    public void Precharge_charges_the_link_with_its_time_constant_and_the_mains_connect_it()
    {
        var k = new SimulatedContactors(close_ms: 0, open_ms: 0, prechargeTau_ms: 100, linkDischargeTau_ms: 5000);
        k.Update(0, 16_000);
        k.MainNegativeCoil.Write(true);
        k.PrechargeCoil.Write(true);
        for (long t = 0; t <= 100; t += 10) k.Update(t, 16_000);
        Assert.InRange(k.LinkVoltage_mV, 10_000, 10_250);           // 1 - e^-1 = 63.2 %
        for (long t = 110; t <= 300; t += 10) k.Update(t, 16_000);
        Assert.InRange(k.LinkVoltage_mV, 15_150, 15_250);           // 1 - e^-3 = 95.0 %
        Assert.False(k.MainsClosed);
        k.MainPositiveCoil.Write(true);
        k.Update(310, 16_000);
        Assert.True(k.MainsClosed);
        Assert.Equal(16_000, k.LinkVoltage_mV);
        k.MainPositiveCoil.Write(false);
        k.MainNegativeCoil.Write(false);
        k.PrechargeCoil.Write(false);
        k.Update(320, 16_000);
        for (long t = 330; t <= 5320; t += 10) k.Update(t, 16_000);
        Assert.InRange(k.LinkVoltage_mV, 5_800, 5_950);             // bleeds with τ = 5 s
    }

    [Fact]
    public void Feeder_holds_each_channel_until_the_next_recorded_value()
    {
        string text = "# bms-trace v1\n# cells=2\n# temps=1\ntime_ms,current_mA,v1_mV,v2_mV,t1_dC,soc_ref_pcm,event\n" +
                      "0,,3700,,250,,\n" +
                      "1000,-500,3690,3701,,90000,\n" +
                      "2000,,,3702,260,,short_on\n";
        var info = TraceReader.Validate(new StringReader(text), "f.csv");
        using var reader = new TraceReader(new StringReader(text), "f.csv");
        var feeder = new TraceFeeder(reader, info);

        feeder.AdvanceTo(0);
        Assert.Equal(new[] { 3700, 3701 }, feeder.Cell_mV);   // v2 before its first value: that first value
        Assert.Equal(-500, feeder.Current_mA);                // likewise the current
        Assert.False(feeder.SocReferenceArrived);

        feeder.AdvanceTo(999);
        Assert.Equal(3700, feeder.Cell_mV[0]);
        feeder.AdvanceTo(1000);
        Assert.Equal(3690, feeder.Cell_mV[0]);
        Assert.True(feeder.SocReferenceArrived);
        Assert.Equal(90_000, feeder.LastSocRef_pcm);
        Assert.Equal(1000, feeder.SocReferenceTime_ms);

        feeder.AdvanceTo(5000);
        Assert.Equal(new[] { 3690, 3702 }, feeder.Cell_mV);   // v1 missing at 2000 ms: held
        Assert.Equal(-500, feeder.Current_mA);
        Assert.Equal(260, feeder.Temp_dC[0]);
        Assert.False(feeder.SocReferenceArrived);
        Assert.Equal("short_on", feeder.EventArrived);
        Assert.True(feeder.Exhausted);
    }
}
