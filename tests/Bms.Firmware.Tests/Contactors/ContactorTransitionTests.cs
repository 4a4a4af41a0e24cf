using Bms.Firmware.Contactors;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.Contactors;

/// <summary>Every transition of the contactor state machine, one table row each.</summary>
public class ContactorTransitionTests
{
    public sealed record Row(
        string Name,
        ContactorState From,
        bool Feedback,
        Action<ContactorRig> Act,
        int Run_ms,
        ContactorState Expected,
        bool Neg, bool Pos, bool Pre,
        BmsEventCode Event = BmsEventCode.None)
    {
        public override string ToString() => Name;
    }

    private static readonly ContactorConfiguration Defaults = ContactorConfiguration.CreateDefault(3000);

    public static readonly Row[] Table =
    {
        // Open
        new("open: stays open without a request", ContactorState.Open, false, r => { }, 1000, ContactorState.Open, false, false, false),
        new("open -> precharging on request: negative and precharge relay", ContactorState.Open, false, r => r.CloseRequested = true, 10, ContactorState.Precharging, true, false, true),
        new("open -> fault while a fault is latched, request ignored", ContactorState.Open, false, r => { r.ExternalFault = true; r.CloseRequested = true; }, 500, ContactorState.Fault, false, false, false),
        new("open: no precharge without a valid pack voltage", ContactorState.Open, false, r => { r.Snapshot.StackVoltageValid = false; r.CloseRequested = true; }, 500, ContactorState.Open, false, false, false),
        new("open: welded contact (feedback closed, coil off) -> ContactorWelded, never closes", ContactorState.Open, true, r => { r.PositiveFeedback!.Override = true; r.PositiveFeedback.Level = true; r.Run(200); r.CloseRequested = true; }, 500, ContactorState.Fault, false, false, false, BmsEventCode.ContactorWelded),

        // Precharging
        new("precharging: positive closes when link >= 95 % of pack, precharge relay still on", ContactorState.Precharging, false, r => r.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV * 95 / 100 + 1, 10, ContactorState.Precharging, true, true, true),
        new("precharging -> closed after the positive settled, precharge relay off", ContactorState.Precharging, false, r => r.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV, 10 + Defaults.PositiveSettle_ms, ContactorState.Closed, true, true, false),
        new("precharging: link at 94 % is not enough", ContactorState.Precharging, false, r => r.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV * 94 / 100, 1000, ContactorState.Precharging, true, false, true),
        new("precharging: invalid link voltage never completes precharge", ContactorState.Precharging, false, r => { r.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV; r.Snapshot.LinkVoltageValid = false; }, 1000, ContactorState.Precharging, true, false, true),
        new("precharging -> PrechargeFailure -> fault at the timeout", ContactorState.Precharging, false, r => r.Snapshot.LinkVoltage_mV = 1000, Defaults.PrechargeTimeout_ms + 100, ContactorState.Fault, false, false, false, BmsEventCode.PrechargeFailure),
        new("precharging -> open when the request is withdrawn", ContactorState.Precharging, false, r => r.CloseRequested = false, 100, ContactorState.Open, false, false, false),
        new("precharging -> fault when a fault latches", ContactorState.Precharging, false, r => r.ExternalFault = true, 100, ContactorState.Fault, false, false, false),
        new("precharging: negative contactor does not pull in -> PrechargeFailure -> fault", ContactorState.Precharging, true, r => { r.NegativeFeedback!.Override = true; r.NegativeFeedback.Level = false; }, 500, ContactorState.Fault, false, false, false, BmsEventCode.PrechargeFailure),

        // Closed
        new("closed: stays closed while requested", ContactorState.Closed, true, r => { }, 2000, ContactorState.Closed, true, true, false),
        new("closed -> open on request with current below the break limit", ContactorState.Closed, false, r => r.CloseRequested = false, 100, ContactorState.Open, false, false, false),
        new("closed -> fault when a fault latches (current below break limit)", ContactorState.Closed, false, r => r.ExternalFault = true, 100, ContactorState.Fault, false, false, false),
        new("closed -> opening: waits while the current is above the break limit", ContactorState.Closed, false, r => { r.Snapshot.Current_mA = 3 * Defaults.BreakCurrent_mA; r.CloseRequested = false; }, Defaults.MaxOpeningWaitRequest_ms - 20, ContactorState.Opening, true, true, false),
        new("closed: positive feedback drops out -> SensorFault -> fault", ContactorState.Closed, true, r => { r.PositiveFeedback!.Override = true; r.PositiveFeedback.Level = false; }, 500, ContactorState.Fault, false, false, false, BmsEventCode.SensorFault),

        // Opening
        new("opening: opens anyway at the request bound (never blocks)", ContactorState.Opening, false, r => { }, Defaults.MaxOpeningWaitRequest_ms + 50, ContactorState.Open, false, false, false),
        new("opening: opens as soon as the current falls below the break limit", ContactorState.Opening, false, r => r.Snapshot.Current_mA = Defaults.BreakCurrent_mA - 1, 40, ContactorState.Open, false, false, false),
        new("opening: opens at once when the current is unknown", ContactorState.Opening, false, r => r.Snapshot.CurrentValid = false, 40, ContactorState.Open, false, false, false),
        new("opening -> fault: a fault shortens the wait to the fault bound", ContactorState.Opening, false, r => r.ExternalFault = true, Defaults.MaxOpeningWaitFault_ms + 50, ContactorState.Fault, false, false, false),
        new("opening: re-request while opening does not re-close", ContactorState.Opening, false, r => r.CloseRequested = true, 100, ContactorState.Opening, true, true, false),

        // Fault
        new("fault: stays open whatever is requested", ContactorState.Fault, false, r => r.CloseRequested = true, 2000, ContactorState.Fault, false, false, false),
        new("fault -> open after ResetFault when safe", ContactorState.Fault, false, r => r.Controller.ResetFault(r.Now_ms), 10, ContactorState.Open, false, false, false),
        new("fault: ResetFault refused while a weld is detected", ContactorState.Fault, false, r => { r.Snapshot.Current_mA = -5000; r.Run(Defaults.WeldDetect_ms + 100); r.Controller.ResetFault(r.Now_ms); }, 10, ContactorState.Fault, false, false, false, BmsEventCode.ContactorWelded),

        // Weld detection with every contactor open
        new("open: current flowing with all contactors open -> ContactorWelded", ContactorState.Open, false, r => r.Snapshot.Current_mA = 2 * Defaults.WeldCurrent_mA, Defaults.WeldDetect_ms + 200, ContactorState.Fault, false, false, false, BmsEventCode.ContactorWelded),
        new("closed -> open, link voltage still at pack 10 s later -> ContactorWelded", ContactorState.Closed, false, r => r.CloseRequested = false, Defaults.LinkDecay_ms + 200, ContactorState.Fault, false, false, false, BmsEventCode.ContactorWelded),
        new("closed -> open, link discharged by its bleeder -> no weld", ContactorState.Closed, false, r => { r.CloseRequested = false; r.Run(100); r.Snapshot.LinkVoltage_mV = ContactorRig.Pack_mV / 10; }, Defaults.LinkDecay_ms + 2000, ContactorState.Open, false, false, false),
        new("open: current just below the weld limit is not a weld", ContactorState.Open, false, r => r.Snapshot.Current_mA = Defaults.WeldCurrent_mA, 2000, ContactorState.Open, false, false, false),
    };

    public static TheoryData<Row> Rows()
    {
        var data = new TheoryData<Row>();
        foreach (var row in Table) data.Add(row);
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Transition(Row row)
    {
        var rig = new ContactorRig(feedback: row.Feedback);
        rig.BringTo(row.From);
        row.Act(rig);
        rig.Run(row.Run_ms);
        Assert.Equal(row.Expected, rig.Controller.State);
        Assert.Equal((row.Neg, row.Pos, row.Pre), rig.Outputs);
        if (row.Event != BmsEventCode.None) Assert.True(rig.Raised(row.Event), $"{row.Event} not raised; events: {string.Join(", ", rig.Sink.Events)}");
        else Assert.DoesNotContain(rig.Sink.Events, e => e.Active && e.Code is BmsEventCode.PrechargeFailure or BmsEventCode.ContactorWelded);
    }
}
