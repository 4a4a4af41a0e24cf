using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.System;

/// <summary>Records every event the system emits.</summary>
public sealed class RecordingSink : IBmsEventSink
{
    public readonly record struct Entry(long Time_ms, BmsEventCode Code, ProtectionLevel Level, int Cell, bool Active);

    public List<Entry> Events { get; } = new();

    public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
        => Events.Add(new Entry(time_ms, code, level, cell, active));

    public bool Raised(BmsEventCode code, ProtectionLevel level) => Events.Any(e => e.Code == code && e.Level == level && e.Active);
}

/// <summary>A complete BMS on host fakes: 4 NMC cells, 2 thermistors, precharge model on the link.</summary>
public sealed class SystemRig
{
    public VirtualClock Clock { get; } = new(0);
    public FakeCellMonitor Monitor { get; }
    public RecordingOutput Negative { get; } = new("neg");
    public RecordingOutput Positive { get; } = new("pos");
    public RecordingOutput Precharge { get; } = new("pre");
    public FakeLinkVoltageSensor Link { get; }
    public CountingWatchdog Watchdog { get; }
    public RamStorage Storage { get; }
    public MemoryLogSink Log { get; } = new();
    public RecordingSink Sink { get; } = new();
    public BmsConfiguration Config { get; }
    public BmsSystem Bms { get; }

    public SystemRig(int cells = 4, int temps = 2, Action<BmsConfiguration>? configure = null, bool feedback = false,
        RamStorage? storage = null, bool hasCurrentSense = true, FakeCurrentSensor? currentSensor = null, int afeTemps = -1,
        Func<FakeCellMonitor, ICellMonitor>? wrapMonitor = null)
    {
        Storage = storage ?? new RamStorage(8192);
        Monitor = new FakeCellMonitor(cells, afeTemps < 0 ? temps : afeTemps, hasCurrentSense);
        Watchdog = new CountingWatchdog(Clock);
        Link = new FakeLinkVoltageSensor(Clock)
        {
            Pack_mV = cells * 3700,
            ChargingFrom = () => Negative.State && (Precharge.State || Positive.State),
        };
        Config = BmsConfiguration.Create(ChemistryProfiles.FromName("nmc-graphite"), cells, temps, 3000);
        Config.InitialSoc_pcm = 50000;
        configure?.Invoke(Config);
        var hw = new BmsHardware
        {
            Monitor = wrapMonitor?.Invoke(Monitor) ?? Monitor,
            Clock = Clock,
            NegativeContactor = Negative,
            PositiveContactor = Positive,
            PrechargeRelay = Precharge,
            NegativeFeedback = feedback ? new FakeInput(Negative) : null,
            PositiveFeedback = feedback ? new FakeInput(Positive) : null,
            Watchdog = Watchdog,
            Storage = Storage,
            Log = Log,
            LinkVoltageSensor = Link,
            CurrentSensor = currentSensor,
        };
        Bms = new BmsSystem(Config, hw);
        Bms.SetEventSink(Sink);
    }

    /// <summary>Sets every cell voltage (and the link model's pack voltage).</summary>
    public void SetCells(int mV)
    {
        for (int i = 0; i < Monitor.CellCount; i++) Monitor.CellVoltage_mV[i] = mV;
        Link.Pack_mV = mV * Monitor.CellCount;
    }

    /// <summary>Advances 10 ms and polls, <paramref name="ticks"/> times.</summary>
    public void Run(int ticks)
    {
        for (int i = 0; i < ticks; i++)
        {
            Clock.Advance_us(10_000);
            Bms.Poll();
        }
    }

    public void RunMs(int ms) => Run(ms / 10);
}
