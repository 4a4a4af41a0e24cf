using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;
using Bms.Firmware.Tests.System;

namespace Bms.Firmware.Tests.Protection;

/// <summary>A protection manager on an NMC 4-cell, 2-sensor snapshot with nominal values, stepped by hand.</summary>
public sealed class ProtectionRig
{
    public const int Cells = 4;
    public const int Temps = 2;
    public const int Capacity_mAh = 3000;

    public SafeOperatingEnvelope Envelope { get; } = ChemistryProfiles.FromName("nmc-graphite").Envelope;
    public ProtectionConfiguration Config { get; }
    public MeasurementSnapshot Snapshot { get; } = new(Cells, Temps);
    public RecordingSink Sink { get; } = new();
    public ProtectionManager Manager { get; }
    public long Now_ms { get; private set; }

    public ProtectionRig(Action<ProtectionConfiguration>? configure = null)
    {
        Config = ProtectionConfiguration.FromEnvelope(Envelope, Capacity_mAh);
        configure?.Invoke(Config);
        Assert.Null(Config.Validate(Envelope, Capacity_mAh));
        Manager = new ProtectionManager(Config, Cells, Temps, Sink);
        SetNominal();
        Manager.Start(0);
    }

    public void SetNominal()
    {
        for (int i = 0; i < Cells; i++) { Snapshot.CellVoltage_mV[i] = 3700; Snapshot.CellValid[i] = true; }
        for (int i = 0; i < Temps; i++) { Snapshot.Temperature_dC[i] = 250; Snapshot.TemperatureValid[i] = true; }
        Snapshot.Current_mA = 0;
        Snapshot.CurrentValid = true;
    }

    /// <summary>Advances the clock by <paramref name="period_ms"/> and runs the matching update (10 ms current, 100 ms cells).</summary>
    public void Step(int period_ms)
    {
        Now_ms += period_ms;
        Snapshot.Time_ms = Now_ms;
        Snapshot.CurrentTime_ms = Now_ms;
        // As in the system: the current is evaluated on every step, cells and temperatures on 100 ms steps.
        Manager.UpdateCurrent(Snapshot, Now_ms);
        if (period_ms != 10) Manager.UpdateCells(Snapshot, Now_ms);
    }

    public bool Has(BmsEventCode code, ProtectionLevel level, bool active = true)
        => Sink.Events.Any(e => e.Code == code && e.Level == level && e.Active == active);

    public RecordingSink.Entry First(BmsEventCode code, ProtectionLevel level, bool active = true)
        => Sink.Events.First(e => e.Code == code && e.Level == level && e.Active == active);
}
