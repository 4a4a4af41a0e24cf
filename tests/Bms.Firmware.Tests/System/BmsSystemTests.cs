using Bms.Firmware.Contactors;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.System;

public class BmsSystemTests
{
    [Fact]
    public void Closes_through_precharge_on_request_and_reports_limits()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.Run(1);
        Assert.Equal(ContactorState.Precharging, rig.Bms.Contactors);
        Assert.True(rig.Negative.State);
        Assert.True(rig.Precharge.State);
        Assert.False(rig.Positive.State);

        rig.RunMs(2000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        Assert.True(rig.Negative.State && rig.Positive.State);
        Assert.False(rig.Precharge.State);
        Assert.True(rig.Bms.ChargeLimit_mA > 0);
        Assert.True(rig.Bms.DischargeLimit_mA > 0);
        Assert.Equal(ProtectionLevel.None, rig.Bms.HighestActiveLevel);
        Assert.Empty(rig.Sink.Events);
    }

    [Fact]
    public void Steady_state_ticks_allocate_nothing()
    {
        // nanoCLR runs every static constructor at boot; the host runs them on first use, which for the 60 s
        // persistence path (the CRC-32 table) falls inside the measured window when this test runs alone.
        RunStaticConstructorsAsAtBoot();
        var rig = new SystemRig(cells: 4, temps: 2);
        rig.Monitor.CellVoltage_mV[2] = 3760; // something for the balancer to do
        rig.Monitor.Current_mA = 0;
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.Run(3000); // warm-up: precharge, closing, first balancing decisions, JIT

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            rig.Clock.Advance_us(10_000);
            rig.Bms.Poll();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
        Assert.True(rig.Bms.Ticks >= 13_000);
        Assert.True(allocated == 0, allocated + " bytes; events: " + string.Join(", ", rig.Sink.Events));
    }

    private static void RunStaticConstructorsAsAtBoot()
    {
        foreach (var assembly in new[] { typeof(Bms.Firmware.Composition.BmsSystem).Assembly, typeof(Bms.Drivers.CellMonitoring.ICellMonitor).Assembly })
        {
            foreach (global::System.Type type in assembly.GetTypes())
            {
                global::System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            }
        }
    }

    [Fact]
    public void Over_voltage_fault_opens_latches_and_resets_only_when_safe()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Bms.RequestClose();
        rig.RunMs(2000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);

        rig.Monitor.CellVoltage_mV[1] = 4260;
        rig.RunMs(1500);
        Assert.True(rig.Sink.Raised(BmsEventCode.CellOverVoltage, ProtectionLevel.Fault));
        Assert.Contains(rig.Sink.Events, e => e.Code == BmsEventCode.CellOverVoltage && e.Cell == 1);
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors);
        Assert.False(rig.Negative.State || rig.Positive.State || rig.Precharge.State);
        Assert.Equal(0, rig.Bms.ChargeLimit_mA);

        Assert.False(rig.Bms.ResetFaults()); // condition still present
        rig.Monitor.CellVoltage_mV[1] = 3700;
        rig.RunMs(10_000);
        Assert.Equal(ProtectionLevel.Fault, rig.Bms.HighestActiveLevel); // latched though the condition is gone
        rig.Bms.RequestClose();
        rig.RunMs(1000);
        Assert.Equal(ContactorState.Fault, rig.Bms.Contactors); // no path closes while latched

        Assert.True(rig.Bms.ResetFaults());
        Assert.Equal(ContactorState.Open, rig.Bms.Contactors);
        rig.RunMs(100);
        Assert.Equal(ContactorState.Open, rig.Bms.Contactors); // needs a fresh request
        rig.Bms.RequestClose();
        rig.RunMs(2000);
        Assert.Equal(ContactorState.Closed, rig.Bms.Contactors);
    }

    [Fact]
    public void Watchdog_is_kicked_every_tick_when_tasks_are_on_time()
    {
        var rig = new SystemRig();
        rig.Bms.Start();
        rig.Run(500);
        // Start runs the first activation itself, then one poll per 10 ms.
        Assert.Equal(501, rig.Bms.Ticks);
        Assert.Equal(501, rig.Bms.WatchdogKicks);
        Assert.Equal(0, rig.Bms.TaskOverruns);
        Assert.Equal(501, rig.Watchdog.Kicks);
    }

    [Fact]
    public void Configuration_outside_the_envelope_is_refused_with_the_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SystemRig(configure: c =>
        {
            c.Protection = Bms.Firmware.Protection.ProtectionConfiguration.FromEnvelope(c.Chemistry.Envelope, c.Capacity_mAh);
            c.Protection.GetQuantity(Bms.Firmware.Protection.ProtectedQuantity.CellOverVoltage).Fault.Threshold = 4300;
        }));
        Assert.Contains("CellOverVoltage.Fault.Threshold", ex.Message);
        Assert.Contains("envelope", ex.Message);
    }
}
