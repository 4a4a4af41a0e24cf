using Bms.Firmware.Contactors;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.System;

/// <summary>
/// A thermistor the thermal-runaway guard finds implausible (open or shorted rail) is left out of protection, so it
/// raises SensorFault, not a false over/under-temperature trip; the healthy sensor still protects.
/// </summary>
public class ThermistorFaultExclusionTests
{
    private static SystemRig RunningRig()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.RunMs(3000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        return rig;
    }

    [Theory]
    [InlineData(-500, BmsEventCode.UnderTemperatureDischarge)] // open thermistor: reads below the -40 °C rail
    [InlineData(1500, BmsEventCode.OverTemperatureDischarge)] // shorted thermistor: reads above the 125 °C rail
    public void A_railed_thermistor_raises_SensorFault_and_no_temperature_trip(int rail_dC, BmsEventCode falseTrip)
    {
        var rig = RunningRig();
        rig.Monitor.Temperature_dC[1] = rail_dC;
        rig.RunMs(10000);
        Assert.True(rig.Sink.Raised(BmsEventCode.SensorFault, ProtectionLevel.Warning));
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == falseTrip);
        Assert.DoesNotContain(rig.Sink.Events, e => e.Code == BmsEventCode.ThermalRunaway);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
    }

    [Fact]
    public void The_healthy_sensor_still_trips_over_temperature_while_the_other_is_railed()
    {
        var rig = RunningRig();
        rig.Monitor.Temperature_dC[1] = -500;
        rig.RunMs(2000);
        // The healthy sensor heats past the discharge limit step by step (a credible, slow rise).
        for (int t = rig.Monitor.Temperature_dC[0]; t <= 800; t += 5)
        {
            rig.Monitor.Temperature_dC[0] = t;
            rig.RunMs(1000);
        }
        rig.RunMs(3000);
        Assert.True(rig.Sink.Raised(BmsEventCode.OverTemperatureDischarge, ProtectionLevel.Fault));
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors);
    }
}
