using Bms.Emulators.Common;
using Bms.Firmware.Composition;
using Bms.Firmware.Contactors;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;
using Bms.Firmware.Tests.System;

namespace Bms.Firmware.Tests.Contactors;

/// <summary>
/// A contactor controller wired as in the system: its events go to a protection state (the latch) and a
/// recorder, and the latch is fed back as faultLatched. Stepped every 10 ms.
/// </summary>
public sealed class ContactorRig
{
    public const int Pack_mV = 14800;

    public ContactorConfiguration Config { get; }
    public RecordingOutput Negative { get; } = new("neg");
    public RecordingOutput Positive { get; } = new("pos");
    public RecordingOutput Precharge { get; } = new("pre");
    public FakeInput? NegativeFeedback { get; }
    public FakeInput? PositiveFeedback { get; }
    public ProtectionState State { get; } = new();
    public RecordingSink Sink { get; } = new();
    public MeasurementSnapshot Snapshot { get; } = new(4, 1);
    public ContactorController Controller { get; }
    public long Now_ms { get; private set; }
    public bool CloseRequested { get; set; }
    /// <summary>An external fault (another part of the system) is raised while true.</summary>
    public bool ExternalFault { get; set; }

    public ContactorRig(bool feedback = false, Action<ContactorConfiguration>? configure = null)
    {
        Config = ContactorConfiguration.CreateDefault(3000);
        configure?.Invoke(Config);
        var fanOut = new EventFanOut(State);
        fanOut.SetExternal(Sink);
        if (feedback)
        {
            NegativeFeedback = new FakeInput(Negative);
            PositiveFeedback = new FakeInput(Positive);
        }
        Controller = new ContactorController(Config, Negative, Positive, Precharge, NegativeFeedback, PositiveFeedback, fanOut);
        Snapshot.StackVoltage_mV = Pack_mV;
        Snapshot.StackVoltageValid = true;
        Snapshot.LinkVoltage_mV = 0;
        Snapshot.LinkVoltageValid = true;
        Snapshot.Current_mA = 0;
        Snapshot.CurrentValid = true;
    }

    public bool FaultLatched => State.FaultLatched || ExternalFault;

    public void Step()
    {
        Now_ms += 10;
        Controller.Step(Now_ms, CloseRequested, FaultLatched, Snapshot);
    }

    public void Run(int ms)
    {
        for (int t = 0; t < ms; t += 10) Step();
    }

    public (bool neg, bool pos, bool pre) Outputs => (Negative.State, Positive.State, Precharge.State);

    /// <summary>Drives the rig into a state the normal way.</summary>
    public void BringTo(ContactorState target)
    {
        if (target == ContactorState.Open) { Step(); return; }
        CloseRequested = true;
        Step();
        Assert.Equal(ContactorState.Precharging, Controller.State);
        if (target == ContactorState.Precharging) return;
        Snapshot.LinkVoltage_mV = Pack_mV;
        Run(100);
        Assert.Equal(ContactorState.Closed, Controller.State);
        if (target == ContactorState.Closed) return;
        if (target == ContactorState.Opening)
        {
            Snapshot.Current_mA = -(Config.BreakCurrent_mA * 3);
            CloseRequested = false;
            Step();
            Assert.Equal(ContactorState.Opening, Controller.State);
            return;
        }
        if (target == ContactorState.Fault)
        {
            ExternalFault = true;
            CloseRequested = false;
            Run(50);
            Assert.Equal(ContactorState.Fault, Controller.State);
            ExternalFault = false;
            return;
        }
        throw new ArgumentOutOfRangeException(nameof(target));
    }

    public bool Raised(BmsEventCode code) => Sink.Events.Any(e => e.Code == code && e.Active);
}
