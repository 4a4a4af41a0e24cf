using Bms.Emulators.Common;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.Contactors;

public class ContactorTimingTests
{
    [Fact]
    public void Precharge_failure_comes_at_the_timeout_and_not_a_tick_before()
    {
        var rig = new ContactorRig();
        rig.BringTo(ContactorState.Precharging);
        long start = rig.Now_ms;
        rig.Snapshot.LinkVoltage_mV = 5000;
        while (rig.Now_ms < start + rig.Config.PrechargeTimeout_ms - 10) rig.Step();
        Assert.Equal(ContactorState.Precharging, rig.Controller.State);
        rig.Step();
        var e = rig.Sink.Events.Single(x => x.Code == BmsEventCode.PrechargeFailure && x.Active);
        Assert.Equal(start + rig.Config.PrechargeTimeout_ms, e.Time_ms);
    }

    [Fact]
    public void Opening_sequence_is_positive_first_then_negative_after_its_delay()
    {
        var rig = new ContactorRig();
        rig.BringTo(ContactorState.Closed);
        rig.CloseRequested = false;
        rig.Step();
        Assert.Equal((true, false, false), rig.Outputs);
        rig.Run(rig.Config.NegativeOpenDelay_ms - 10);
        Assert.True(rig.Negative.State);
        rig.Step();
        Assert.Equal((false, false, false), rig.Outputs);
        Assert.Equal(ContactorState.Open, rig.Controller.State);
        Assert.Equal(0, rig.Controller.OpenedAboveBreakCurrent);
    }

    [Fact]
    public void Fault_opening_under_load_waits_at_most_the_fault_bound_and_counts_the_hard_break()
    {
        var rig = new ContactorRig();
        rig.BringTo(ContactorState.Closed);
        rig.Snapshot.Current_mA = -10 * rig.Config.BreakCurrent_mA;
        rig.ExternalFault = true;
        rig.Step();
        long faultAt = rig.Now_ms;
        Assert.Equal(ContactorState.Opening, rig.Controller.State);
        while (rig.Positive.State) rig.Step();
        Assert.Equal(faultAt + rig.Config.MaxOpeningWaitFault_ms, rig.Now_ms);
        Assert.Equal(1, rig.Controller.OpenedAboveBreakCurrent);
    }

    [Fact]
    public void No_output_is_ever_energised_while_a_fault_is_latched()
    {
        // Random requests, currents and link voltages with a latched fault: the outputs never go on.
        var random = new Random(1234);
        var rig = new ContactorRig(feedback: true);
        rig.ExternalFault = true;
        for (int i = 0; i < 20_000; i++)
        {
            rig.CloseRequested = random.Next(2) == 0;
            rig.Snapshot.LinkVoltage_mV = random.Next(0, 16000);
            rig.Snapshot.Current_mA = random.Next(-20000, 20000);
            rig.Snapshot.CurrentValid = random.Next(10) > 0;
            if (i % 97 == 0) rig.Controller.ResetFault(rig.Now_ms);
            rig.Step();
            Assert.False(rig.Negative.State || rig.Positive.State || rig.Precharge.State, $"output on at step {i}");
        }
        Assert.Equal(0, rig.Negative.Transitions + rig.Positive.Transitions + rig.Precharge.Transitions);
    }

    [Fact]
    public void Link_voltage_staying_up_after_opening_is_a_weld_when_the_check_is_enabled()
    {
        var rig = new ContactorRig(configure: c => { c.WeldLinkPercent = 50; c.LinkDecay_ms = 1000; });
        rig.BringTo(ContactorState.Closed);
        rig.CloseRequested = false;
        rig.Run(100);
        Assert.Equal(ContactorState.Open, rig.Controller.State);
        long opened = rig.Now_ms;
        rig.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV; // the bus does not decay
        rig.Run(800);
        Assert.False(rig.Raised(BmsEventCode.ContactorWelded));
        rig.Run(400);
        Assert.True(rig.Raised(BmsEventCode.ContactorWelded));
        Assert.True(rig.Now_ms - opened >= 1000);
    }

    [Fact]
    public void Weld_clears_only_after_the_evidence_has_been_gone_for_the_detection_window()
    {
        var rig = new ContactorRig();
        rig.BringTo(ContactorState.Open);
        rig.Snapshot.Current_mA = 5000;
        rig.Run(rig.Config.WeldDetect_ms + rig.Config.FeedbackSettle_ms + 50);
        Assert.True(rig.Controller.WeldDetected);
        rig.Snapshot.Current_mA = 0;
        rig.Run(rig.Config.WeldDetect_ms - 20);
        Assert.True(rig.Controller.WeldDetected);
        rig.Run(40);
        Assert.False(rig.Controller.WeldDetected);
        Assert.Contains(rig.Sink.Events, e => e.Code == BmsEventCode.ContactorWelded && !e.Active);
        Assert.True(rig.State.FaultLatched); // the latch stays until reset
        Assert.True(rig.Controller.SafeForReset);
    }

    [Fact]
    public void A_configuration_out_of_range_is_refused()
    {
        var c = ContactorConfiguration.CreateDefault(3000);
        c.PrechargeTargetPercent = 50;
        var ex = Assert.Throws<ArgumentException>(() => new ContactorController(c, new RecordingOutput(), new RecordingOutput(), new RecordingOutput(), null!, null!, new Bms.Firmware.Tests.System.RecordingSink()));
        Assert.Contains("PrechargeTargetPercent", ex.Message);
    }
}
